// float16 -> float32 must be exact: the MediaPipe models store every weight
// as FLOAT16, and a float32 copy of them is lossless only if we convert right.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "quantcheck/model/synthetic.hpp"
#include "quantcheck/model/tensor_data.hpp"

namespace quantcheck::model {
namespace {

// Independent reference: value = (-1)^s * 2^(e-15) * (1 + f/1024), or the
// subnormal 2^-14 * f/1024, computed with ldexp.
double half_value(std::uint16_t h) {
  const int s = h >> 15, e = (h >> 10) & 0x1f, f = h & 0x3ff;
  double v;
  if (e == 0x1f)
    v = f ? NAN : INFINITY;
  else if (e == 0)
    v = std::ldexp(f / 1024.0, -14);
  else
    v = std::ldexp(1.0 + f / 1024.0, e - 15);
  return s ? -v : v;
}

TEST(Half, EveryValueConvertsExactly) {
  for (std::uint32_t h = 0; h <= 0xffff; ++h) {
    const float f = half_to_float(static_cast<std::uint16_t>(h));
    const double want = half_value(static_cast<std::uint16_t>(h));
    if (std::isnan(want)) {
      EXPECT_TRUE(std::isnan(f)) << std::hex << h;
    } else {
      EXPECT_EQ(static_cast<double>(f), want) << std::hex << h;
      EXPECT_EQ(std::signbit(f), (h & 0x8000) != 0) << std::hex << h;
    }
  }
}

TEST(Half, FloatToHalfRoundTripsEveryHalf) {
  for (std::uint32_t h = 0; h <= 0xffff; ++h) {
    const auto hh = static_cast<std::uint16_t>(h);
    const float f = half_to_float(hh);
    if (std::isnan(f)) continue;
    EXPECT_EQ(float_to_half(f), hh) << std::hex << h;
  }
}

TEST(Half, FloatToHalfRoundsToNearestEven) {
  // 1 + 2^-11 is halfway between 1 and 1 + 2^-10: ties to even (1.0).
  EXPECT_EQ(float_to_half(1.0f + 0x1p-11f), 0x3c00);
  // 1 + 3 * 2^-11 is halfway between 1 + 2^-10 (odd) and 1 + 2^-9: up.
  EXPECT_EQ(float_to_half(1.0f + 3 * 0x1p-11f), 0x3c02);
  EXPECT_EQ(float_to_half(65520.0f), 0x7c00);  // rounds to infinity
  EXPECT_EQ(float_to_half(0x1p-25f), 0x0000);  // half of the least subnormal: to even (0)
  EXPECT_EQ(float_to_half(0x1.8p-25f), 0x0001);
}

}  // namespace
}  // namespace quantcheck::model
