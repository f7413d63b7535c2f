# Install rules shared by every folder: each library is exported as
# quantcheck::<short name> (quantcheck_io -> quantcheck::io) in one export set,
# and its public headers go to <prefix>/include/quantcheck/.
include(GNUInstallDirs)

# quantcheck_install_library(<target> <short name> [<include dir>...])
# Each <include dir> (relative to the calling folder, ending in '/') is copied
# to <prefix>/include. Does nothing when QUANTCHECK_INSTALL is OFF.
function(quantcheck_install_library target short_name)
  set_target_properties(${target} PROPERTIES EXPORT_NAME ${short_name})
  target_include_directories(${target} INTERFACE $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
  if(NOT QUANTCHECK_INSTALL)
    return()
  endif()
  install(TARGETS ${target} EXPORT quantcheckTargets
          ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT development
          LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT development
          RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT runtime)
  foreach(dir ${ARGN})
    install(DIRECTORY ${dir} DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT development
            FILES_MATCHING PATTERN "*.hpp" PATTERN "*.h")
  endforeach()
endfunction()
