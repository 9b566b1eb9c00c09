#include <cstdio>

int main() {
  std::puts("peernetd: not yet implemented");
  return 0;
}
