// MappedFile: open + fstat + mmap(PROT_READ, MAP_PRIVATE). Models are read in
// place; nothing is copied, so peak memory stays near the pages touched.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "quantcheck/model/model_file.hpp"

namespace quantcheck::model {

MappedFile::MappedFile(const std::string& path) {
  // O_NONBLOCK: opening a FIFO for reading blocks until a writer appears, so
  // a FIFO given as a model hung every command before the regular-file check
  // below could refuse it. On a regular file the flag changes nothing.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) throw ModelError(path + ": cannot open: " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int e = errno;
    ::close(fd);
    throw ModelError(path + ": cannot stat: " + std::strerror(e));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    throw ModelError(path + (S_ISDIR(st.st_mode) ? ": is a directory" : ": not a regular file") +
                     ", not a model");
  }
  if (st.st_size == 0) {
    ::close(fd);
    throw ModelError(path + ": empty file, not a model");
  }
  // MAP_POPULATE: every command reads (nearly) the whole file; mapping it in
  // one go costs far less than a page fault per 4 KiB page as it is read.
  void* p = ::mmap(nullptr, static_cast<std::size_t>(st.st_size), PROT_READ,
                   MAP_PRIVATE | MAP_POPULATE, fd, 0);
  const int e = errno;
  ::close(fd);  // the mapping keeps the file open
  if (p == MAP_FAILED) throw ModelError(path + ": cannot map: " + std::strerror(e));
  data_ = static_cast<const std::uint8_t*>(p);
  size_ = static_cast<std::size_t>(st.st_size);
}

MappedFile::~MappedFile() {
  if (data_) ::munmap(const_cast<std::uint8_t*>(data_), size_);
}

}  // namespace quantcheck::model
