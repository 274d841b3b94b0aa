# `cmake --install build --prefix P` installs gaze as a CMake package:
#   P/include/gaze/{core,layers,data,train,cam,cuda}/*.h   the headers
#   P/lib/libgaze_*.a                                       the libraries
#   P/lib/cmake/gaze/gazeConfig.cmake (+ version, targets)  find_package(gaze)
#   P/bin/{train,evaluate,cam-infer,gaze-inspect}           the programs
# A consumer writes find_package(gaze REQUIRED) and links gaze::gaze or parts.
include(CMakePackageConfigHelpers)

get_property(GAZE_EXPORTED_TARGETS GLOBAL PROPERTY GAZE_EXPORTED_TARGETS)
install(TARGETS ${GAZE_EXPORTED_TARGETS} gaze
        EXPORT gazeTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(TARGETS train evaluate cam-infer gaze-inspect gaze-make-matrix-demo RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
foreach(dir core layers data train cam cuda)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/${dir}/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/gaze/${dir}
          FILES_MATCHING PATTERN "*.h" PATTERN "*.cuh")
endforeach()

set(GAZE_CONFIG_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/gaze)
install(EXPORT gazeTargets NAMESPACE gaze:: DESTINATION ${GAZE_CONFIG_DIR})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/gazeConfig.cmake.in ${PROJECT_BINARY_DIR}/gazeConfig.cmake
                              INSTALL_DESTINATION ${GAZE_CONFIG_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/gazeConfigVersion.cmake COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/gazeConfig.cmake ${PROJECT_BINARY_DIR}/gazeConfigVersion.cmake
        DESTINATION ${GAZE_CONFIG_DIR})
