// SPDX-License-Identifier: Apache-2.0
// File: python/csv_rows.hpp
//
// Python values -> rows of the CSV event log (../shared/EVENTS.md), for
// ShopMetrics.add() and add_columns(): the rows then go through the
// library's own reader (metrics_state.hpp), so Python input is checked by
// the same code, with the same messages, as a file. Needs the GIL.
//
// A cell: None is empty; str as UTF-8; bytes as they are; int in decimal;
// float as its shortest repr (NaN is empty: pandas' missing value); objects
// with isoformat() (datetime, pandas Timestamp) through it; anything else
// through str(). Fields holding , " CR or LF are quoted.
#ifndef CSMETRICS_PYTHON_CSV_ROWS_HPP_
#define CSMETRICS_PYTHON_CSV_ROWS_HPP_

#include <pybind11/pybind11.h>

#include <array>        // std::array (the 9 columns)
#include <cmath>        // std::isnan
#include <cstdint>      // std::int64_t, std::uint64_t
#include <limits>       // std::numeric_limits (NaT)
#include <string>       // std::string
#include <string_view>  // std::string_view

#include "csmetrics/io/event.hpp"
#include "csmetrics/io/rfc3339.hpp"
#include "metrics_state.hpp"

namespace csmetrics_py {

namespace py = pybind11;

/// Appends the text of cell `v` to `out` (see the file comment). `micros`:
/// an int is microseconds since the epoch (a numpy datetime64 column), NaT empty.
inline void cell_text(PyObject* v, bool micros, std::string& out) {
  if (v == Py_None) return;
  if (PyUnicode_Check(v)) {
    Py_ssize_t n = 0;
    const char* p = PyUnicode_AsUTF8AndSize(v, &n);
    if (!p) throw py::error_already_set();
    out.append(p, static_cast<std::size_t>(n));
    return;
  }
  if (PyBytes_Check(v)) {
    out.append(PyBytes_AS_STRING(v), static_cast<std::size_t>(PyBytes_GET_SIZE(v)));
    return;
  }
  if (PyFloat_Check(v)) {
    const double d = PyFloat_AS_DOUBLE(v);
    if (std::isnan(d)) return;
    char* r = PyOS_double_to_string(d, 'r', 0, 0, nullptr);
    if (!r) throw py::error_already_set();
    out += r;
    PyMem_Free(r);
    return;
  }
  if (PyLong_Check(v) && !PyBool_Check(v)) {  // True is not a score
    int overflow = 0;
    const long long x = PyLong_AsLongLongAndOverflow(v, &overflow);
    if (x == -1 && PyErr_Occurred()) throw py::error_already_set();
    if (micros) {
      if (x == std::numeric_limits<std::int64_t>::min()) return;  // NaT
      out += csmetrics::format_rfc3339(csmetrics::timestamp{csmetrics::duration{x}});
      return;
    }
    if (!overflow) {
      out += std::to_string(x);
      return;
    }
  }
  py::handle h(v);
  if (py::hasattr(h, "isoformat"))
    out += py::str(h.attr("isoformat")()).cast<std::string>();
  else
    out += py::str(h).cast<std::string>();
}

/// Appends `v` as a CSV field; returns the line feeds it holds (quoted).
inline std::uint64_t append_field(std::string& out, std::string_view v) {
  if (v.find_first_of(",\"\r\n") == std::string_view::npos) {
    out += v;
    return 0;
  }
  std::uint64_t lf = 0;
  out += '"';
  for (char c : v) {
    if (c == '"') out += '"';
    if (c == '\n') ++lf;
    out += c;
  }
  out += '"';
  return lf;
}

/// One column of add_columns: a sequence (list, tuple, numpy array, ...) or
/// one value for every row (None, str, bytes, a number, a datetime).
class column {
 public:
  column() = default;
  column(py::handle obj, const char* name) {
    if (obj.is_none() || PyUnicode_Check(obj.ptr()) || PyBytes_Check(obj.ptr()) || PyLong_Check(obj.ptr()) ||
        PyFloat_Check(obj.ptr()) || py::hasattr(obj, "isoformat")) {
      scalar_ = py::reinterpret_borrow<py::object>(obj);
      return;
    }
    py::object o = py::reinterpret_borrow<py::object>(obj);
    if (py::hasattr(o, "dtype") && py::hasattr(o, "tolist")) {  // numpy: native Python values convert faster
      if (py::str(o.attr("dtype").attr("kind")).cast<std::string>() == "M") {
        // datetime64 has no zone: taken as UTC, as numpy does.
        o = py::module_::import("numpy").attr("asarray")(o, "datetime64[us]").attr("astype")("int64");
        micros_ = true;
      }
      o = o.attr("tolist")();
    }
    const std::string msg = std::string("add_columns: ") + name + " must be a sequence or one value";
    seq_ = py::reinterpret_steal<py::object>(PySequence_Fast(o.ptr(), msg.c_str()));
    if (!seq_) throw py::error_already_set();
  }
  /// `v` for every row, whatever its type (add(): one event).
  static column one(py::handle v) {
    column c;
    c.scalar_ = py::reinterpret_borrow<py::object>(v);
    return c;
  }
  bool is_sequence() const { return static_cast<bool>(seq_); }
  std::size_t size() const { return static_cast<std::size_t>(PySequence_Fast_GET_SIZE(seq_.ptr())); }
  /// Appends row i's text to `out`.
  void text(std::size_t i, std::string& out) const {
    if (!seq_) return cell_text(scalar_.ptr(), false, out);
    cell_text(PySequence_Fast_GET_ITEM(seq_.ptr(), static_cast<Py_ssize_t>(i)), micros_, out);
  }

 private:
  py::object scalar_, seq_;
  bool micros_ = false;
};

using columns = std::array<column, csmetrics::event_field_count>;

/// Rows [begin, end) of `cols` as CSV text with the header.
inline csv_rows build_rows(const columns& cols, std::size_t begin, std::size_t end) {
  csv_rows r;
  r.first_row = begin;
  r.text = "time,type,shop,buyer,agent,order,amount,score,tag\n";
  r.text.reserve(r.text.size() + (end - begin) * 80);
  r.row_lines.reserve(end - begin);
  std::uint64_t line = 2;
  std::string cell;
  for (std::size_t i = begin; i < end; ++i) {
    r.row_lines.push_back(line);
    std::uint64_t lf = 0;
    for (std::size_t c = 0; c < cols.size(); ++c) {
      if (c) r.text += ',';
      cell.clear();
      cols[c].text(i, cell);
      lf += append_field(r.text, cell);
    }
    r.text += '\n';
    line += 1 + lf;
  }
  return r;
}

}  // namespace csmetrics_py

#endif  // CSMETRICS_PYTHON_CSV_ROWS_HPP_
