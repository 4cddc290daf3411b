# fpm_client's data-path cores, and the text renderer of `show dataplane` (tools/, compiled
# in as objects: renderers register themselves from static initialisers).
if(NOT TARGET hr_render_dataplane_objs)
  add_library(hr_render_dataplane_objs OBJECT
    ${PROJECT_SOURCE_DIR}/tools/render.cpp ${PROJECT_SOURCE_DIR}/tools/render_dataplane.cpp)
  target_link_libraries(hr_render_dataplane_objs PUBLIC hostroute_core)
endif()
set(HR_TEST_DEPS_fpm_client_fpm fpm_client_lib hr_render_dataplane_objs)
