/* Debian's stb_image decoder compiled into the image fuzz programs of
 * sanitizer builds: libstb.so is not instrumented, so without this libFuzzer
 * sees no coverage inside the decoder and ASan checks none of its memory
 * accesses. The definitions here take precedence over the shared library's. */
#define STB_IMAGE_IMPLEMENTATION
#include <stb_image.h>
