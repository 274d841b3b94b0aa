// gaze-make-matrix-demo: writes the synthetic matrix task (data/matrix_demo.h)
// for the README's "Matrices, not photos" walk-through.
#include <CLI/CLI.hpp>
#include <iostream>

#include "core/program.h"
#include "data/matrix_demo.h"

int main(int argc, char** argv) {
  CLI::App app{"Write a synthetic matrix dataset whose class is decided by a known block of rows and columns"};
  std::string folder;
  gaze::data::MatrixDemoSpec spec;
  app.add_option("folder", folder, "output folder (x.npy, y.npy, classes.txt)")->required();
  app.add_option("--count", spec.count, "matrices, classes alternating")->capture_default_str();
  app.add_option("--height", spec.height, "rows of each matrix")->capture_default_str();
  app.add_option("--width", spec.width, "columns of each matrix")->capture_default_str();
  app.add_option("--row", spec.row, "first row of the planted block")->capture_default_str();
  app.add_option("--column", spec.column, "first column of the planted block")->capture_default_str();
  app.add_option("--size", spec.size, "rows and columns of the planted block")->capture_default_str();
  app.add_option("--amplitude", spec.amplitude, "block shift: +A for class high, -A for low")->capture_default_str();
  app.add_option("--seed", spec.seed, "random seed")->capture_default_str();
  app.add_option("--examples", spec.examples, "single matrices to explain, written to FOLDER/examples/")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  return gaze::run_program("gaze-make-matrix-demo", [&] {
    gaze::data::write_matrix_demo(folder, spec);
    std::cout << "wrote " << spec.count << " matrices of " << spec.height << "x" << spec.width << " to " << folder
              << " (block: rows " << spec.row << "-" << spec.row + spec.size - 1 << ", columns " << spec.column << "-"
              << spec.column + spec.size - 1 << ")";
    if (spec.examples > 0) std::cout << " and " << spec.examples << " single matrices to " << folder << "/examples";
    std::cout << "\n";
    return 0;
  });
}
