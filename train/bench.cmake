# gaze-bench: the CPU training benchmark (train/bench.h). Included from
# train/CMakeLists.txt. It calls BLAS directly only to measure the sgemm peak.
add_executable(gaze-bench bench_main.cpp bench.cpp)
target_include_directories(gaze-bench PRIVATE ${CBLAS_INCLUDE_DIR})
target_link_libraries(gaze-bench PRIVATE gaze_layers yaml-cpp CLI11::CLI11 ${BLAS_LIBRARIES})
target_compile_options(gaze-bench PRIVATE ${GAZE_WARNINGS})
