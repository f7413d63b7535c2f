// Number formatting shared by the model reports and finding messages.
#pragma once

#include <iomanip>
#include <sstream>
#include <string>

namespace quantcheck::model {

// v with `digits` significant digits, as iostreams print it (1e-07, 0.125).
inline std::string significant(double v, int digits) {
  std::ostringstream o;
  o << std::setprecision(digits) << v;
  return o.str();
}

}  // namespace quantcheck::model
