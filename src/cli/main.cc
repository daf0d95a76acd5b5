#include "cli/cli.h"

int main(int argc, char** argv) { return godwit::cli::Main(argc, argv); }
