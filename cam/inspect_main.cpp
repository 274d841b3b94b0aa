// gaze-inspect: look inside a trained network (summary, one layer, its
// filters, the feature maps of one image, activation maximization). All the
// work is in cam/inspect_summary.h, cam/inspect_images.h and cam/maximize.h.
#include <CLI/CLI.hpp>
#include <iostream>

#include "cam/inspect_images.h"
#include "cam/inspect_summary.h"
#include "cam/maximize.h"
#include "core/program.h"
#include "cuda/runtime.h"

int main(int argc, char** argv) {
  using namespace gaze::cam;
  CLI::App app{"Look inside a gaze network: its layers, weights, filters and feature maps, and the inputs that make "
               "a class or a filter fire"};
  app.require_subcommand(1);
  bool allow_nonfinite = false;
  auto checkpoint_option = [&](CLI::App* verb, std::string& path) {
    verb->add_option("checkpoint", path, "gaze checkpoint (best.safetensors)")->required();
    verb->add_flag("--allow-nonfinite", allow_nonfinite, "load a checkpoint holding NaN/Inf values (debugging a diverged run)");
  };

  SummaryOptions summary;
  CLI::App* summary_verb = app.add_subcommand(
      "summary", "table of the layers: type, inputs, output shape, parameters, multiply-adds; totals of parameters "
                 "vs buffers, weight memory, FLOPs, activation memory at batch 1 and 64");
  checkpoint_option(summary_verb, summary.checkpoint);
  summary_verb->add_flag("--json", summary.json, "print JSON instead of the table");

  LayerOptions layer;
  CLI::App* layer_verb =
      app.add_subcommand("layer", "one layer: its config (hyperparameters) and per-tensor statistics (shape, mean, "
                                  "std, min, max, fraction of zeros)");
  checkpoint_option(layer_verb, layer.checkpoint);
  layer_verb->add_option("name", layer.layer, "the layer's name (as in summary)")->required();
  layer_verb->add_option("--save-npy", layer.save_npy, "also write each tensor as DIR/<layer>.<param>.npy");
  layer_verb->add_flag("--json", layer.json, "print JSON instead of text");

  FiltersOptions filters;
  CLI::App* filters_verb = app.add_subcommand(
      "filters", "PNG grid of a conv layer's filters (RGB tiles for a first layer on RGB images, else one grayscale "
                 "tile per input channel; each tile normalized, with a legend)");
  checkpoint_option(filters_verb, filters.checkpoint);
  filters_verb->add_option("--layer", filters.layer, "the conv layer")->required();
  filters_verb->add_option("--out", filters.out, "PNG to write (default: <layer>.filters.png)");
  filters_verb->add_option("--scale", filters.grid.scale, "pixels per weight (default: tiles of about 32 pixels)");
  filters_verb->add_option("--max-filters", filters.grid.max_filters, "show the first N filters (0: all)")->capture_default_str();
  filters_verb->add_option("--max-channels", filters.grid.max_channels, "show the first N input channels (0: all)")
      ->capture_default_str();
  filters_verb->add_flag("--json", filters.json, "print JSON (file, layout, value range) instead of text");

  ActivationsOptions activations;
  CLI::App* activations_verb = app.add_subcommand(
      "activations", "PNG grids of the feature maps of every (or one) spatial layer for one image, and an offline "
                     "index.html walking through the network layer by layer");
  checkpoint_option(activations_verb, activations.checkpoint);
  activations_verb->add_option("image", activations.image, "the image file")->required();
  activations_verb->add_option("--layer", activations.layer, "a spatial layer, or all")->capture_default_str();
  activations_verb->add_option("--out", activations.out_dir, "output folder")->capture_default_str();
  activations_verb->add_option("--scale", activations.grid.scale, "pixels per activation (default: tiles of about 48 pixels)");
  activations_verb->add_option("--max-channels", activations.grid.max_channels, "show the first N channels of each layer (0: all)")
      ->capture_default_str();
  activations_verb->add_flag("--json", activations.json, "print JSON (prediction, per-layer files and ranges) instead of text");

  MaximizeRunOptions maximize;
  CLI::App* maximize_verb = app.add_subcommand(
      "maximize", "activation maximization: gradient ascent on the input until a class (--class) or one channel of "
                  "a layer (--layer, --channel) fires; L2 decay, jitter and blur; seeded");
  checkpoint_option(maximize_verb, maximize.checkpoint);
  maximize_verb->add_option("--class", maximize.target_class, "the class whose logit to maximize");
  maximize_verb->add_option("--layer", maximize.layer, "the layer holding the channel to maximize");
  maximize_verb->add_option("--channel", maximize.channel, "the channel (its spatial mean) or unit to maximize, from 0");
  maximize_verb->add_option("--out", maximize.out, "PNG to write (default: maximize-<class>.png or maximize-<layer>-<channel>.png)");
  maximize_verb->add_option("--scale", maximize.scale, "enlargement of the PNG (default: at least 256 pixels)");
  maximize_verb->add_option("--iterations", maximize.ascent.iterations, "gradient steps")->capture_default_str();
  maximize_verb->add_option("--step", maximize.ascent.step, "mean absolute change per step (normalized input units)")
      ->capture_default_str();
  maximize_verb->add_option("--l2-decay", maximize.ascent.l2_decay, "x *= 1 - decay after each step")->capture_default_str();
  maximize_verb->add_option("--jitter", maximize.ascent.jitter, "random shift in pixels before each step")->capture_default_str();
  maximize_verb->add_option("--blur", maximize.ascent.blur_sigma, "Gaussian blur sigma in pixels (0: none)")->capture_default_str();
  maximize_verb->add_option("--blur-every", maximize.ascent.blur_every, "blur every N steps")->capture_default_str();
  maximize_verb->add_option("--start-noise", maximize.ascent.start_noise, "std of the starting noise on [0, 1] pixels")
      ->capture_default_str();
  maximize_verb->add_option("--seed", maximize.ascent.seed, "seed of the starting noise and the jitter")->capture_default_str();
  maximize_verb->add_flag("--json", maximize.json, "print JSON (the activation at every iteration) instead of text");

  CLI11_PARSE(app, argc, argv);
  return gaze::run_program("gaze-inspect", [&] {
    gaze::init_runtime();
    if (summary_verb->parsed()) {
      summary.allow_nonfinite = allow_nonfinite;
      return run_inspect_summary(summary, std::cout);
    }
    if (layer_verb->parsed()) {
      layer.allow_nonfinite = allow_nonfinite;
      return run_inspect_layer(layer, std::cout);
    }
    if (filters_verb->parsed()) {
      filters.allow_nonfinite = allow_nonfinite;
      return run_inspect_filters(filters, std::cout);
    }
    if (activations_verb->parsed()) {
      activations.allow_nonfinite = allow_nonfinite;
      return run_inspect_activations(activations, std::cout);
    }
    maximize.allow_nonfinite = allow_nonfinite;
    return run_inspect_maximize(maximize, std::cout);
  });
}
