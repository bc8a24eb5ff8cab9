# Builds are slow on two cores: reuse object files across clean build trees when ccache exists.
find_program(ITSM_CCACHE ccache)
if(ITSM_CCACHE)
  set(CMAKE_C_COMPILER_LAUNCHER ${ITSM_CCACHE})
  set(CMAKE_CXX_COMPILER_LAUNCHER ${ITSM_CCACHE})
endif()
