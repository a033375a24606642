// A database in a fresh temporary directory for tests, removed with the object.
// Link custody_store_testing to use it.
#pragma once

#include <memory>
#include <string>

#include "custody/store/database.h"

namespace custody::store {

class TempDatabase {
 public:
  // Creates a directory under $TMPDIR (or /tmp) and opens "custody.db" in it with `options`.
  // Aborts the test process when either step fails, since no test can go on without it.
  explicit TempDatabase(Options options = {});

  TempDatabase(const TempDatabase&) = delete;
  TempDatabase& operator=(const TempDatabase&) = delete;

  ~TempDatabase();

  Database& db() { return *database_; }

  const std::string& path() const { return path_; }

  const std::string& directory() const { return directory_; }

  // Closes the database and opens the same file again, e.g. to check what was committed.
  void Reopen(Options options = {});

 private:
  std::string directory_;
  std::string path_;
  std::unique_ptr<Database> database_;
};

}  // namespace custody::store
