# gaze-bench: the CPU training benchmark (train/bench.h). Included from
# train/CMakeLists.txt. It calls BLAS directly only to measure the sgemm peak.
# The benchmark itself (bench.cpp) is part of gaze_train, so tests reach it too.
target_sources(gaze_train PRIVATE bench.cpp)
target_include_directories(gaze_train PRIVATE ${CBLAS_INCLUDE_DIR})
target_link_libraries(gaze_train PRIVATE ${BLAS_LIBRARIES})
add_executable(gaze-bench bench_main.cpp)
target_link_libraries(gaze-bench PRIVATE gaze_train CLI11::CLI11)
target_compile_options(gaze-bench PRIVATE ${GAZE_WARNINGS})
