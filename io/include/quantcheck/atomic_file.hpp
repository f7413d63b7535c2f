// Output files are written whole or not at all: to a temporary file in the
// same directory, flushed, then renamed over the target.
#pragma once

#include <string>
#include <string_view>

namespace quantcheck {

// Writes content to path atomically; throws std::runtime_error with the path
// and the system's reason on failure (the target is then left untouched).
void write_file_atomically(const std::string& path, std::string_view content);

// Reads a whole file (or standard input for "-"); throws InputError on failure.
std::string read_file_or_stdin(const std::string& path);

}  // namespace quantcheck
