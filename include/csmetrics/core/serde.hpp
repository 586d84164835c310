// SPDX-License-Identifier: Apache-2.0
// File: csmetrics/core/serde.hpp
//
// The serialized form shared by every accumulator. Each type writes its own
// bytes, the bare form (what every state was before the frame, "v1"):
//
//   offset  size  field
//   0       2     magic "CS"
//   2       2     type id (little-endian, see type_id)
//   4       1     format version of that type
//   5       1     flags (type-specific, 0 unless documented)
//   6       ...   payload, little-endian, written field by field
//
// serialize() - what every type's serialize() returns - wraps those bytes in
// a checksummed frame (format v2), so that a flipped bit or a cut file is
// refused instead of read as another state:
//
//   offset  size  field
//   0       2     magic "CS"
//   2       2     type id 0xFFFF (type_id::frame: no type has it)
//   4       1     frame version 2
//   5       1     flags, 0
//   6       8     payload length L (u64, little-endian)
//   14      L     payload: the type's bytes above, its own header included
//   14 + L  4     CRC32C (Castagnoli, u32 little-endian) of bytes 0 .. 13 + L
//
// deserialize() reads both: a frame (length and checksum checked first;
// "checksum mismatch" otherwise) or bare type bytes (files written before
// the frame). Only the outermost state is framed: nested accumulators (keyed,
// day_window, the families) embed their children's bare form, header
// included, so every level is checked and the checksum covers it all once.
// Every read is bounds-checked; a failure throws csmetrics::deserialize_error
// naming the type, what was expected and what was found.
#ifndef CSMETRICS_CORE_SERDE_HPP_
#define CSMETRICS_CORE_SERDE_HPP_

#include <cstddef>      // std::size_t
#include <cstdint>      // fixed-width integers
#include <cstring>      // std::memcpy
#include <stdexcept>    // std::invalid_argument, std::overflow_error (same_configuration)
#include <string>       // std::string, std::to_string
#include <string_view>  // std::string_view
#include <type_traits>  // std::is_integral_v, std::enable_if_t
#include <utility>      // std::move, std::declval
#include <vector>       // std::vector

#include "csmetrics/core/crc32c.hpp"
#include "csmetrics/core/error.hpp"

namespace csmetrics {
class text_pool;  // text_pool.hpp
namespace detail {

/// Type ids of the serialized form; never reuse or renumber one.
enum class type_id : std::uint16_t {
  rate = 1,
  moments = 2,
  money_sum = 3,
  quantile_sketch = 4,
  day_window = 5,
  keyed = 6,
  distinct_count = 7,
  // families
  sessions = 32,
  conversation_tracker = 33,
  orders = 48,
  funnel = 49,
  sales = 64,
  ratings = 80,
  shop_metrics = 96,
  // the checksummed frame around a top-level state (serialize(), format v2)
  frame = 0xFFFF,
};

/// Version of the frame that serialize() writes; bare type bytes are v1.
inline constexpr std::uint8_t frame_version = 2;
/// Bytes of the frame around the payload: header and length, then the CRC.
inline constexpr std::size_t frame_header_bytes = 14;
inline constexpr std::size_t frame_bytes = frame_header_bytes + 4;

inline constexpr std::uint8_t magic0 = 'C';
inline constexpr std::uint8_t magic1 = 'S';

/// Appends little-endian fields to a byte vector.
class writer {
 public:
  void u8(std::uint8_t v) { buf_.push_back(v); }
  void u16(std::uint16_t v) { put_le(v, 2); }
  void u32(std::uint32_t v) { put_le(v, 4); }
  void u64(std::uint64_t v) { put_le(v, 8); }
  void i64(std::int64_t v) { put_le(static_cast<std::uint64_t>(v), 8); }
  void f64(double v) {
    std::uint64_t bits;
    std::memcpy(&bits, &v, sizeof bits);
    put_le(bits, 8);
  }
  /// LEB128: 1 byte for values below 128; keeps sparse counts small.
  void varint(std::uint64_t v) {
    while (v >= 0x80) {
      buf_.push_back(static_cast<std::uint8_t>(v | 0x80));
      v >>= 7;
    }
    buf_.push_back(static_cast<std::uint8_t>(v));
  }
  /// Zig-zag then LEB128, for signed values near zero.
  void svarint(std::int64_t v) {
    varint((static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63));
  }
  void str(std::string_view s) {
    varint(s.size());
    buf_.insert(buf_.end(), s.begin(), s.end());
  }
  void header(type_id t, std::uint8_t version, std::uint8_t flags = 0) {
    u8(magic0);
    u8(magic1);
    u16(static_cast<std::uint16_t>(t));
    u8(version);
    u8(flags);
  }
  std::size_t size() const { return buf_.size(); }
  /// Overwrites the u64 written at `pos` (a length known only afterwards).
  void u64_at(std::size_t pos, std::uint64_t v) {
    for (int i = 0; i < 8; ++i) buf_[pos + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(v >> (8 * i));
  }
  /// The CRC32C of everything written so far.
  std::uint32_t crc32c() const { return detail::crc32c(buf_.data(), buf_.size()); }
  std::vector<std::uint8_t> take() { return std::move(buf_); }

 private:
  void put_le(std::uint64_t v, int n) {
    for (int i = 0; i < n; ++i) buf_.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
  }
  std::vector<std::uint8_t> buf_;
};

/// Reads what `writer` wrote; every read is bounds-checked.
class reader {
 public:
  reader(const std::uint8_t* data, std::size_t size) : p_(data), n_(data ? size : 0) {}

  std::uint8_t u8() { return static_cast<std::uint8_t>(get_le(1, "u8")); }
  std::uint16_t u16() { return static_cast<std::uint16_t>(get_le(2, "u16")); }
  std::uint32_t u32() { return static_cast<std::uint32_t>(get_le(4, "u32")); }
  std::uint64_t u64() { return get_le(8, "u64"); }
  std::int64_t i64() { return static_cast<std::int64_t>(get_le(8, "i64")); }
  double f64() {
    std::uint64_t bits = get_le(8, "f64");
    double v;
    std::memcpy(&v, &bits, sizeof v);
    return v;
  }
  std::uint64_t varint() {
    std::uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      need(1, "varint");
      std::uint8_t b = p_[pos_++];
      if (shift == 63 && b > 1) fail("varint overflows 64 bits");
      v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) {
        // writer::varint never ends on a zero byte: 0x80 0x00 is 0 spelled
        // long, which would decode to a state that re-serializes differently.
        if (b == 0 && shift != 0) fail("varint not in its shortest form");
        return v;
      }
    }
    fail("varint longer than 10 bytes");
  }
  std::int64_t svarint() {
    std::uint64_t z = varint();
    return static_cast<std::int64_t>((z >> 1) ^ (~(z & 1) + 1));
  }
  std::string str() { return std::string(str_view()); }
  /// The same without a copy: valid as long as the buffer read.
  std::string_view str_view() {
    std::uint64_t len = varint();
    need(len, "string");
    std::string_view s(reinterpret_cast<const char*>(p_ + pos_), static_cast<std::size_t>(len));
    pos_ += static_cast<std::size_t>(len);
    return s;
  }
  /// Where text ids (text_ref keys) read from here are interned; none by default.
  text_pool* texts() const { return texts_; }
  void use_texts(text_pool* pool) { texts_ = pool; }
  /// A count of elements that are each at least `min_bytes` long: rejects
  /// counts the remaining bytes cannot hold before anything is allocated.
  std::size_t count(std::size_t min_bytes, const char* what) {
    std::uint64_t c = varint();
    if (min_bytes != 0 && c > remaining() / min_bytes)
      fail(std::string("count of ") + what + " is " + std::to_string(c) + " but only " +
           std::to_string(remaining()) + " bytes remain");
    return static_cast<std::size_t>(c);
  }
  /// Reads and checks the header; returns the format version (1..max_version).
  /// The flags go to `*flags`; without `flags` they must be 0 (a type that
  /// uses none must not accept, then drop, other values: one state, one
  /// byte string).
  std::uint8_t header(type_id expected, const char* type_name, std::uint8_t max_version,
                      std::uint8_t* flags = nullptr) {
    name_ = type_name;
    need(6, "header");
    if (p_[pos_] != magic0 || p_[pos_ + 1] != magic1)
      fail("expected magic \"CS\", found bytes " + std::to_string(p_[pos_]) + "," +
           std::to_string(p_[pos_ + 1]));
    pos_ += 2;
    std::uint16_t t = u16();
    if (t != static_cast<std::uint16_t>(expected))
      fail("expected type id " + std::to_string(static_cast<unsigned>(expected)) + ", found " +
           std::to_string(t));
    std::uint8_t version = u8();
    if (version == 0 || version > max_version)
      fail("unsupported format version " + std::to_string(version) + " (this build reads 1.." +
           std::to_string(max_version) + ")");
    std::uint8_t f = u8();
    if (flags)
      *flags = f;
    else if (f != 0)
      fail("expected flags 0, found " + std::to_string(f));
    return version;
  }
  void expect_end() const {
    if (pos_ != n_) fail(std::to_string(n_ - pos_) + " trailing bytes after the state");
  }
  std::size_t remaining() const { return n_ - pos_; }
  std::size_t position() const { return pos_; }

  [[noreturn]] void fail(const std::string& msg) const {
    CSMETRICS_THROW(deserialize_error(std::string("csmetrics::") + name_ + ": " + msg +
                                      " (at byte " + std::to_string(pos_) + ")"));
  }
  /// Rejects a decoded state whose invariant does not hold.
  void check(bool ok, const char* invariant) const {
    if (!ok) fail(std::string("invalid state: ") + invariant);
  }

 private:
  void need(std::uint64_t k, const char* what) const {
    if (k > n_ - pos_)
      fail(std::string("truncated: expected ") + std::to_string(k) + " bytes of " + what +
           ", found " + std::to_string(n_ - pos_));
  }
  std::uint64_t get_le(int k, const char* what) {
    need(static_cast<std::uint64_t>(k), what);
    std::uint64_t v = 0;
    for (int i = 0; i < k; ++i) v |= static_cast<std::uint64_t>(p_[pos_ + i]) << (8 * i);
    pos_ += static_cast<std::size_t>(k);
    return v;
  }
  const std::uint8_t* p_;
  std::size_t n_;
  std::size_t pos_ = 0;
  const char* name_ = "state";
  text_pool* texts_ = nullptr;
};

/// How a key type travels in the serialized form: integers as zig-zag
/// varints, strings with a length prefix. Specialize for other key types.
template <class T, class Enable = void>
struct key_serde;

template <class T>
struct key_serde<T, std::enable_if_t<std::is_integral_v<T>>> {
  static void write(writer& w, T v) {
    if constexpr (std::is_signed_v<T>)
      w.svarint(static_cast<std::int64_t>(v));
    else
      w.varint(static_cast<std::uint64_t>(v));
  }
  static T read(reader& r) {
    if constexpr (std::is_signed_v<T>) {
      std::int64_t v = r.svarint();
      T out = static_cast<T>(v);
      r.check(static_cast<std::int64_t>(out) == v, "key out of range of its type");
      return out;
    } else {
      std::uint64_t v = r.varint();
      T out = static_cast<T>(v);
      r.check(static_cast<std::uint64_t>(out) == v, "key out of range of its type");
      return out;
    }
  }
};

template <>
struct key_serde<std::string> {
  static void write(writer& w, const std::string& v) { w.str(v); }
  static std::string read(reader& r) { return r.str(); }
};

/// For containers of accumulators (day_window, keyed) reading their
/// children: true when `child` merges into a copy of `prototype`, i.e. has
/// its configuration (a sketch's accuracy and thresholds) and gives it back
/// unchanged (settings a merge keeps from its target must match too). A child of another
/// configuration would decode but make every later merge or report throw
/// std::invalid_argument, so the reader rejects it. An overflow is not a
/// configuration mismatch. Without exceptions the probe cannot run: true.
template <class Acc>
bool same_configuration(const Acc& prototype, const Acc& child) {
#if defined(__cpp_exceptions) || defined(__EXCEPTIONS) || defined(_CPPUNWIND)
  try {
    Acc probe = prototype;
    probe.merge(child);
    // Merging into the prototype must give the child back: a setting that a
    // merge keeps from its target (day_window's history_days) differs otherwise.
    return probe == child;
  } catch (const std::invalid_argument&) {
    return false;
  } catch (const std::overflow_error&) {
  }
#else
  (void)prototype;
  (void)child;
#endif
  return true;
}

template <class Acc, class = void>
struct has_reset : std::false_type {};
template <class Acc>
struct has_reset<Acc, std::void_t<decltype(std::declval<Acc&>().reset())>> : std::true_type {};

/// For containers of accumulators reading their prototype: true when it is
/// empty (equal to itself after reset(), which keeps the configuration). A
/// prototype holding data would be copied into every new bucket or key, and
/// merges would count that data again for each. True when Acc has no reset().
template <class Acc>
bool is_empty_prototype(const Acc& prototype) {
  if constexpr (has_reset<Acc>::value) {
    Acc empty = prototype;
    empty.reset();
    return empty == prototype;
  } else {
    (void)prototype;
    return true;
  }
}

/// Serializes an accumulator that has `serialize_to(writer&)`, in the
/// checksummed frame (format v2, see the top of this file).
template <class Acc>
std::vector<std::uint8_t> serialize(const Acc& acc) {
  writer w;
  w.header(type_id::frame, frame_version);
  w.u64(0);  // the payload length, once known
  acc.serialize_to(w);
  w.u64_at(6, static_cast<std::uint64_t>(w.size() - frame_header_bytes));
  w.u32(w.crc32c());
  return w.take();
}

/// The bytes a deserializer reads: the payload of a frame (format v2) once
/// its length and checksum are right, or bare type bytes (v1) as they are.
struct framed_payload {
  const std::uint8_t* data;
  std::size_t size;
};

inline framed_payload unframe(const void* data, std::size_t size) {
  const auto* p = static_cast<const std::uint8_t*>(data);
  if (!p || size < 4 || p[0] != magic0 || p[1] != magic1 || p[2] != 0xFF || p[3] != 0xFF) return {p, size};
  reader r(p, size);
  r.header(type_id::frame, "state frame", frame_version);  // checks the magic, version 1..2 and flags 0
  if (p[4] != frame_version) r.fail("expected frame version 2, found " + std::to_string(p[4]));
  const std::uint64_t length = r.u64();
  if (r.remaining() < 4 || length > r.remaining() - 4)
    r.fail("truncated: the payload is " + std::to_string(length) + " bytes but " + std::to_string(r.remaining()) +
           " remain with the checksum");
  if (length < r.remaining() - 4)
    r.fail(std::to_string(r.remaining() - 4 - length) + " trailing bytes after the checksum");
  const std::size_t end = frame_header_bytes + static_cast<std::size_t>(length);
  const std::uint32_t stored = static_cast<std::uint32_t>(p[end]) | static_cast<std::uint32_t>(p[end + 1]) << 8 |
                               static_cast<std::uint32_t>(p[end + 2]) << 16 |
                               static_cast<std::uint32_t>(p[end + 3]) << 24;
  const std::uint32_t computed = crc32c(p, end);
  if (stored != computed) {
    auto hex = [](std::uint32_t v) {
      std::string h = "0x";
      for (int i = 28; i >= 0; i -= 4) h += "0123456789ABCDEF"[(v >> i) & 0xfu];
      return h;
    };
    r.fail("checksum mismatch: CRC32C of the bytes is " + hex(computed) + ", " + hex(stored) +
           " stored (corrupt or altered bytes)");
  }
  return {p + frame_header_bytes, static_cast<std::size_t>(length)};
}

/// Deserializes a whole buffer - a frame or bare type bytes - into an
/// accumulator that has `static Acc deserialize_from(reader&)`; trailing
/// bytes are an error.
template <class Acc>
Acc deserialize(const void* data, std::size_t size) {
  const framed_payload in = unframe(data, size);
  reader r(in.data, in.size);
  Acc acc = Acc::deserialize_from(r);
  r.expect_end();
  return acc;
}

}  // namespace detail
}  // namespace csmetrics

#endif  // CSMETRICS_CORE_SERDE_HPP_
