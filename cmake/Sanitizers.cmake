# -DITSM_SANITIZE=ON instruments everything built here (project code and generated protos alike),
# so that a bad access in a generated message is caught as well as one in ours.
if(ITSM_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
  # GCC 12 reports false "may be used uninitialized" inside the standard library when
  # instrumenting; those warnings are checked by the normal build.
  add_compile_options(-Wno-maybe-uninitialized)
endif()
