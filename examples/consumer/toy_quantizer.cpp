#include "toy_quantizer.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace toy {

quantcheck::Result quantize(const quantcheck::Case& c) {
  // Shape, sizes and finiteness: the same checks quantcheck's own quantizer makes.
  const quantcheck::Layout l = quantcheck::validate(c);
  quantcheck::Result r;
  r.weights.channels.resize(static_cast<std::size_t>(l.channels));
  quantcheck::for_each_channel_run(c, l, [&](std::int64_t ch, std::size_t b, std::size_t e) {
    auto& p = r.weights.channels[static_cast<std::size_t>(ch)];
    for (std::size_t i = b; i < e; ++i)
      p.range_max = std::max(p.range_max, std::fabs(c.weights[i]));
  });
  for (auto& p : r.weights.channels)
    p.scale = std::max(p.range_max / 127.0f, std::numeric_limits<float>::min());
  r.weights.q.resize(c.weights.size());
  quantcheck::for_each_channel_run(c, l, [&](std::int64_t ch, std::size_t b, std::size_t e) {
    const double s = r.weights.channels[static_cast<std::size_t>(ch)].scale;
    for (std::size_t i = b; i < e; ++i)
      r.weights.q[i] =
          static_cast<std::int32_t>(std::clamp(std::nearbyint(c.weights[i] / s), -127.0, 127.0));
  });
  for (std::size_t ch = 0; ch < c.bias.size(); ++ch) {
    const float s_b = c.input_scale * r.weights.channels[ch].scale;  // float32(s_in * s_w)
    const double q = s_b > 0 ? std::nearbyint(double(c.bias[ch]) / s_b) : 0.0;
    r.bias.scale.push_back(s_b);
    r.bias.q.push_back(static_cast<std::int64_t>(std::clamp(q, -2147483648.0, 2147483647.0)));
  }
  return r;
}

}  // namespace toy
