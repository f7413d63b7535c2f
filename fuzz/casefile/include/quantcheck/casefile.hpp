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

// The same bytes written to out (a mutator's buffer) without allocating per
// call; returns their size, or 0 (out untouched) when they exceed max_size.
std::size_t encode_case_file(const CaseRecord& r, std::uint8_t* out, std::size_t max_size);

// Reads a case file after the flatbuffers verifier has checked every offset
// and length; nullopt when the bytes are not a well-formed case file. It does
// not validate the case itself (quantize() does that).
std::optional<CaseRecord> decode_case_file(const std::uint8_t* data, std::size_t size);

// The same into r, reusing its buffers (a fuzz target decodes every input into
// one record); false, with r unspecified, when the bytes are not a case file.
bool decode_case_file(const std::uint8_t* data, std::size_t size, CaseRecord& r);

// As above, but throws InputError naming the file when it is not a case file.
CaseRecord decode_case_file_or_throw(const std::vector<std::uint8_t>& bytes,
                                     const std::string& where);

// True when both records hold the same values bit for bit (NaN payloads too).
bool same_case(const CaseRecord& a, const CaseRecord& b);

}  // namespace quantcheck
