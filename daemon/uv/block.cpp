#include "block.hpp"

#include <string>

namespace peernet::uv {

Error error_from_uv(int code, std::string_view what) {
  Errc errc = Errc::io_error;
  switch (code) {
    case UV_ECANCELED: errc = Errc::cancelled; break;
    case UV_ETIMEDOUT: errc = Errc::timeout; break;
    case UV_EOF:
    case UV_ECONNRESET:
    case UV_EPIPE:
    case UV_ENOTCONN: errc = Errc::closed; break;
    default: break;
  }
  std::string msg(what);
  msg += ": ";
  msg += uv_strerror(code);
  msg += " (";
  msg += uv_err_name(code);
  msg += ")";
  return make_error(errc, std::move(msg));
}

namespace detail {

void Owner::reset() {
  Block* b = std::exchange(b_, nullptr);
  if (b == nullptr) return;
  b->closing = true;
  uv_close(b->handle(), [](uv_handle_t* h) { delete block_of<Block>(h); });
}

}  // namespace detail
}  // namespace peernet::uv
