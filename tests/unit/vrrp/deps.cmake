set(HR_TEST_DEPS_vrrp vrrp_anycast_lib)
# The text form of `show vrrp` (tools/render_vrrp.cpp) is tested here too: hostroutectl has
# no library, so the renderer and its registry are compiled once more for the test.
add_library(hr_render_vrrp_test OBJECT
  ${PROJECT_SOURCE_DIR}/tools/render.cpp ${PROJECT_SOURCE_DIR}/tools/render_vrrp.cpp)
target_link_libraries(hr_render_vrrp_test PUBLIC hostroute_core)
list(APPEND HR_TEST_DEPS_vrrp hr_render_vrrp_test)
