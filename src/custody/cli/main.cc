// custody: the Custody command-line client (docs/cli.md).
#include <unistd.h>

#include <iostream>

#include "custody/cli/app.h"

int main(int argc, char** argv) {
  return custody::cli::Main(argc, argv, custody::cli::ProcessEnvironment(), std::cout, std::cerr,
                            ::isatty(STDERR_FILENO) == 1);
}
