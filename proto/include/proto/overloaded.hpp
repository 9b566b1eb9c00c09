// A visitor made of lambdas, one per alternative of a std::variant:
//   std::visit(Overloaded{[](const A&) {...}, [](const B&) {...}}, v);
// The variants of messages (envelopes, RPC messages, DNS records, ...) are
// visited this way wherever each alternative needs its own code.
#pragma once

namespace peernet {

template <class... F>
struct Overloaded : F... {
  using F::operator()...;
};
template <class... F>
Overloaded(F...) -> Overloaded<F...>;

}  // namespace peernet
