// Placeholder so the core library is never empty; removed when the first
// daemon module lands.
namespace peernet::daemon { void stub() {} }
