# The exported package (quantcheckConfig.cmake + version file + targets) and
# cpack -G DEB. Included last by the top-level CMakeLists.txt.
if(NOT QUANTCHECK_INSTALL)
  return()
endif()
include(CMakePackageConfigHelpers)
set(QC_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/quantcheck)

install(EXPORT quantcheckTargets NAMESPACE quantcheck:: DESTINATION ${QC_CMAKE_DIR}
        COMPONENT development)
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/quantcheckConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/quantcheckConfig.cmake INSTALL_DESTINATION ${QC_CMAKE_DIR})
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/quantcheckConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/quantcheckConfig.cmake
              ${CMAKE_CURRENT_BINARY_DIR}/quantcheckConfigVersion.cmake
              ${CMAKE_CURRENT_LIST_DIR}/QuantcheckAuditTest.cmake
        DESTINATION ${QC_CMAKE_DIR} COMPONENT development)
install(FILES ${PROJECT_SOURCE_DIR}/docs/using-quantcheck.md ${PROJECT_SOURCE_DIR}/README.md
        DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT development OPTIONAL)

# --- cpack -G DEB (run in the build tree) -------------------------------------------
# One package: the CLI, the bundled adapters, and the libraries, headers and
# CMake package (a quantcheck user is a developer: the -dev packages the
# package config finds are dependencies, so find_package works after install).
set(CPACK_PACKAGE_NAME quantcheck)
set(CPACK_PACKAGE_VENDOR "quantcheck")
set(CPACK_PACKAGE_CONTACT "quantcheck maintainers <quantcheck@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "property-based verification and fuzzing for neural-network quantizers")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
set(CPACK_STRIP_FILES TRUE)  # the CLI and the echo adapter without their debug info
# Runtime libraries of the binaries, computed by dpkg-shlibdeps (dpkg-dev)
# from what they link; then what the installed CMake package needs.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "nlohmann-json3-dev, librapidcheck-dev, libflatbuffers-dev")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "python3, python3-torch")
include(CPack)
