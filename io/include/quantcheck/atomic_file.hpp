// Output files are written whole or not at all: to a temporary file in the
// same directory, flushed, then renamed over the target. Inputs are read with
// a size cap, so /dev/zero or `yes |` cannot exhaust memory.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace quantcheck {

// Writes content to path atomically; throws std::runtime_error with the path
// and the system's reason on failure (the target is then left untouched).
// A symlink is written through (its target is replaced, the link stays); an
// existing target keeps its permission bits; a new file gets 0666 & ~umask.
void write_file_atomically(const std::string& path, std::string_view content);

// The most bytes one input may hold: 256 MiB, or QUANTCHECK_MAX_INPUT_MB
// (a positive whole number of MiB) when set.
std::size_t max_input_bytes();

// Reads a whole file (or standard input for "-"), at most max_input_bytes();
// throws InputError on failure (a directory, an unreadable file, too large).
std::string read_file_or_stdin(const std::string& path);

// As read_file_or_stdin, for JSON text: stops at the first byte that no JSON
// object or array can hold (a NUL, or a first non-space byte other than '{'
// or '['), without reading the rest of the stream.
std::string read_json_text(const std::string& path);

}  // namespace quantcheck
