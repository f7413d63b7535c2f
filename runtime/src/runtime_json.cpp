#include "quantcheck/runtime/runtime_json.hpp"

namespace quantcheck {
namespace {

nlohmann::json path_json(const RuntimePath& p) {
  if (!p.supported) return {{"supported", false}};
  nlohmann::json j = {{"supported", true},
                      {"accumulator", to_string(p.accumulator)},
                      {"accumulator_wraps", p.accumulator_wraps},
                      {"scale_computation", to_string(p.scale)},
                      {"multiplier", to_string(p.multiplier)},
                      {"rounding", to_string(p.rounding)},
                      {"flush_tiny_multiplier", p.flush_tiny_multiplier},
                      {"single_rounding_clamp", p.single_rounding_clamp},
                      {"int16_pair_saturation", p.int16_pair_saturation},
                      {"output_clamp", to_string(p.clamp)},
                      {"add_output_zero_point", p.add_output_zero_point},
                      {"apply_weight_zero_point", p.apply_weight_zero_point},
                      {"int16_weights", p.int16_weights},
                      {"requantization_bound_lsb", requantization_bound_lsb(p)},
                      {"multiplier_relative_bound", multiplier_relative_bound(p)}};
  // Per-op exceptions, only where a profile has them (tflite: measured on the 2.9 library).
  if (p.depthwise_rounding) j["depthwise_conv2d_rounding"] = to_string(*p.depthwise_rounding);
  if (p.fully_connected_scale)
    j["fully_connected_scale_computation"] = to_string(*p.fully_connected_scale);
  return j;
}

}  // namespace

nlohmann::json runtime_to_json(const RuntimeProfile& r) {
  return {{"name", r.name},
          {"origin", r.origin},
          {"sources", r.sources},
          {"int8_weights_take_uint8_activations", r.int8_weights_take_uint8_activations},
          {"eight_bit", path_json(r.eight_bit)},
          {"sixteen_bit", path_json(r.sixteen_bit)},
          {"prepare",
           {{"reject_multiplier_at_least", r.prepare.reject_multiplier_at_least},
            {"reject_non_normal_scale", r.prepare.reject_non_normal_scale},
            {"require_equal_weight_zero_points", r.prepare.require_equal_weight_zero_points},
            {"require_zero_weight_zero_point", r.prepare.require_zero_weight_zero_point},
            {"require_zero_io_zero_points_16", r.prepare.require_zero_io_zero_points_16}}}};
}

}  // namespace quantcheck
