// The case file: one quantization problem (a quantcheck::Case plus the name of
// the preset it is about) as a flatbuffer of fuzz/schema/case.fbs. Fuzz inputs
// and regression-corpus entries are case files; their JSON twins are the JSON
// case of `quantcheck quantize` with an optional "policy" field.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "quantcheck/quantize.hpp"

namespace quantcheck {

struct CaseRecord {
  Case c;
  std::string policy;  // a preset name, or empty for "every preset"
};

// The four bytes after the root offset that mark a case file.
inline constexpr char kCaseFileIdentifier[] = "QCAS";

// Serialises a case. The values are written as they are (NaN, Inf, bad shapes
// included), so a fuzz input can carry anything validate() must reject.
std::vector<std::uint8_t> encode_case_file(const CaseRecord& r);

// Reads a case file after the flatbuffers verifier has checked every offset
// and length; nullopt when the bytes are not a well-formed case file. It does
// not validate the case itself (quantize() does that).
std::optional<CaseRecord> decode_case_file(const std::uint8_t* data, std::size_t size);

// As above, but throws InputError naming the file when it is not a case file.
CaseRecord decode_case_file_or_throw(const std::vector<std::uint8_t>& bytes,
                                     const std::string& where);

// True when both records hold the same values bit for bit (NaN payloads too).
bool same_case(const CaseRecord& a, const CaseRecord& b);

}  // namespace quantcheck
