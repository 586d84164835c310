// SPDX-License-Identifier: Apache-2.0
// File: python/csmetrics_module.cpp
//
// The Python module csmetrics (pybind11): ShopMetrics is shop_report's
// pipeline - every metric of csmetrics::shop_metrics over an event log - fed
// from CSV files or Python values, reported as the dict of shop_report's
// JSON, serialized to the bytes of shop_report --save-state and merged.
//
//   m = csmetrics.ShopMetrics(utc_offset="+08:00")
//   m.read_csv("events.csv")
//   r = m.report()                   # == json.loads(shop_report --format json events.csv)
//
// Each ShopMetrics has a mutex: files and batches are processed without the
// GIL, so another Python thread may call in meanwhile and waits its turn.
#include <pybind11/chrono.h>  // datetime.timedelta -> std::chrono
#include <pybind11/eval.h>    // py::exec (the Report class)
#include <pybind11/pybind11.h>

#include <algorithm>    // std::min
#include <cerrno>       // errno
#include <cstdint>      // SIZE_MAX, std::uint64_t
#include <cstdio>       // std::fopen, std::fclose
#include <fstream>      // std::ifstream (calendar=)
#include <memory>       // std::unique_ptr
#include <mutex>        // std::mutex, std::scoped_lock
#include <optional>     // std::optional
#include <sstream>      // std::ostringstream (calendar=)
#include <stdexcept>    // std::invalid_argument, std::out_of_range
#include <string>       // std::string
#include <vector>       // std::vector

#include "cli_options.hpp"  // shop_report's syntax of durations and offsets
#include "csv_rows.hpp"
#include "demo_week.hpp"    // demo_week_csv()
#include "metrics_state.hpp"
#include "report_html.hpp"  // to_html: shop_report --html's page

namespace py = pybind11;
using namespace py::literals;
using csmetrics_py::metrics_state;
using arg = const py::object&;  // an argument from Python, any type

namespace {

/// One ShopMetrics: the state and the lock that lets its work run without the GIL.
class shop_metrics_py {
 public:
  explicit shop_metrics_py(metrics_state s) : state_(std::move(s)) {}

  /// f(state) without the GIL, one thread at a time.
  template <class F>
  auto locked(F&& f) {
    py::gil_scoped_release nogil;
    std::lock_guard<std::mutex> lock(mu_);
    return f(state_);
  }
  /// Merges `other` into this state (both locked, without the GIL).
  void merge(shop_metrics_py& other) {
    if (&other == this) throw std::invalid_argument("merge: a state cannot merge with itself (parts must be disjoint)");
    py::gil_scoped_release nogil;
    std::scoped_lock lock(mu_, other.mu_);
    state_.merge(other.state_);
  }

 private:
  metrics_state state_;
  std::mutex mu_;
};

/// What report() returns: csmetrics::report, kept beside the dict for the writers.
struct native_report {
  csmetrics::report r;
};

PyObject* report_type = nullptr;  // csmetrics.Report (kept alive by the module)

// ---- arguments -----------------------------------------------------------------

std::string text_of(arg v) {
  std::string s;
  csmetrics_py::cell_text(v.ptr(), false, s);
  return s;
}

/// A duration option: shop_report's "45s", "10m", "24h", "3d", a timedelta, or seconds.
csmetrics::duration duration_arg(arg v, const char* name) {
  std::optional<csmetrics::duration> d;
  if (PyUnicode_Check(v.ptr()))
    d = demo::parse_duration(v.cast<std::string>());
  else if (PyDelta_Check(v.ptr()))
    d = v.cast<std::chrono::microseconds>();
  else if ((PyLong_Check(v.ptr()) || PyFloat_Check(v.ptr())) && !PyBool_Check(v.ptr()))
    d = std::chrono::duration_cast<csmetrics::duration>(std::chrono::duration<double>(v.cast<double>()));
  if (!d || d->count() <= 0)
    throw std::invalid_argument(std::string(name) + ": not a positive duration like 45s, 10m, 24h, 3d: " +
                                py::repr(v).cast<std::string>());
  return *d;
}

csmetrics::shop_metrics_options options_arg(arg offset, arg session_gap, arg max_wait, arg attribution_window,
                                            arg payment_window, arg max_lateness, arg service_hours, arg calendar) {
  csmetrics::shop_metrics_options o;
  const auto off = PyUnicode_Check(offset.ptr()) ? demo::parse_offset(offset.cast<std::string>()) : std::nullopt;
  if (!off)
    throw std::invalid_argument("utc_offset must look like +08:00 or -03:00: " + py::repr(offset).cast<std::string>());
  o.offset = *off;
  o.session_gap = duration_arg(session_gap, "session_gap");
  o.max_wait = duration_arg(max_wait, "max_wait");
  o.payment_window = duration_arg(payment_window, "payment_window");
  o.max_lateness = duration_arg(max_lateness, "max_lateness");
  const csmetrics::duration day = std::chrono::hours{24}, a = duration_arg(attribution_window, "attribution_window");
  if (a % day != csmetrics::duration::zero())
    throw std::invalid_argument("attribution_window must be whole days (1d .. 7d): " +
                                py::repr(attribution_window).cast<std::string>());
  o.attribution_days = static_cast<int>(a / day);
  // Service hours (shop_report --service-hours / --calendar): "08:00-24:00", or a CSV file's path.
  if (!service_hours.is_none() && !calendar.is_none())
    throw std::invalid_argument("give service_hours or calendar, not both");
  if (!service_hours.is_none()) {
    const auto v = PyUnicode_Check(service_hours.ptr()) ? demo::parse_service_hours(service_hours.cast<std::string>())
                                                        : std::vector<csmetrics::service_interval>{};
    if (v.empty())
      throw std::invalid_argument("service_hours must look like 08:00-24:00 or 09:00-12:00,13:00-18:00: " +
                                  py::repr(service_hours).cast<std::string>());
    o.calendar = std::make_shared<const csmetrics::service_calendar>(csmetrics::service_calendar::every_day(v));
  }
  if (!calendar.is_none()) {
    const std::string path = py::str(py::module_::import("os").attr("fspath")(calendar)).cast<std::string>();
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::invalid_argument(path + ": cannot open");
    std::ostringstream text;
    text << in.rdbuf();
    try {  // bad rows: ValueError naming the file and line, as shop_report --calendar
      o.calendar = std::make_shared<const csmetrics::service_calendar>(csmetrics::service_calendar::from_csv(text.str()));
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(path + ": " + e.what());
    }
  }
  return o;  // the rest is checked by shop_metrics (std::invalid_argument -> ValueError)
}

/// An instant: RFC 3339 text with offset, or a datetime with tzinfo.
csmetrics::timestamp time_arg(arg v) {
  const std::string s = text_of(v);
  csmetrics::rfc3339_error why{};
  const auto t = csmetrics::parse_rfc3339(s, &why);
  if (!t) throw std::invalid_argument(csmetrics::detail::rfc3339_error_message(why, s));
  return *t;
}

py::dict counts_dict(const csmetrics_py::input_counts& c) {
  py::dict why;
  for (const auto& [reason, n] : c.skipped_by_reason) why[py::str(reason)] = n;
  return py::dict("rows"_a = c.rows, "accepted"_a = c.accepted, "skipped"_a = c.skipped, "skipped_by_reason"_a = why);
}

py::dict batch_dict(const csmetrics_py::batch_result& b) {
  py::dict d = counts_dict(b.counts);
  py::list errors;
  for (const std::string& e : b.errors) errors.append(py::str(e));
  d["errors"] = errors;
  return d;
}

/// deserialize(input=...): the counts a part's report showed (ShopMetrics.input or read_csv's dict).
csmetrics_py::input_counts counts_arg(const py::dict& d) {
  csmetrics_py::input_counts c;
  for (const auto& [k, v] : d) {
    const std::string key = py::str(k);
    if (key == "rows") c.rows = v.cast<std::uint64_t>();
    else if (key == "accepted") c.accepted = v.cast<std::uint64_t>();
    else if (key == "skipped") c.skipped = v.cast<std::uint64_t>();
    else if (key == "skipped_by_reason")
      for (const auto& [reason, n] : v.cast<py::dict>()) c.skipped_by_reason[py::str(reason)] = n.cast<std::uint64_t>();
    else if (key != "errors")
      throw std::invalid_argument("input: unknown key " + key + " (rows, accepted, skipped, skipped_by_reason)");
  }
  return c;
}

const csmetrics::report& native_of(arg r, const char* fn) {
  if (!PyObject_IsInstance(r.ptr(), report_type) || !py::hasattr(r, "_native"))
    throw py::type_error(std::string(fn) + ": expects the Report that ShopMetrics.report() returns "
                         "(a plain dict lacks the figures behind its ratios and charts)");
  return r.attr("_native").cast<const native_report&>().r;
}

// ---- ShopMetrics ----------------------------------------------------------------

py::dict read_csv(shop_metrics_py& self, arg path, bool strict) {
  const std::string name = py::bytes(py::module_::import("os").attr("fsencode")(path));
  std::FILE* f = nullptr;
  int err = 0;
  {
    py::gil_scoped_release nogil;
    f = std::fopen(name.c_str(), "rb");
    err = errno;
  }
  if (!f) {
    errno = err;
    PyErr_SetFromErrnoWithFilename(PyExc_OSError, name.c_str());
    throw py::error_already_set();
  }
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> closer(f, &std::fclose);
  return batch_dict(self.locked([&](metrics_state& s) { return s.read_file(f, name, strict); }));
}

bool add(shop_metrics_py& self, arg time, arg type, arg shop, arg buyer, arg agent, arg order, arg amount,
         arg score, arg tag) {
  csmetrics_py::columns cols;
  const py::handle values[] = {time, type, shop, buyer, agent, order, amount, score, tag};
  for (std::size_t i = 0; i < cols.size(); ++i) cols[i] = csmetrics_py::column::one(values[i]);
  const csmetrics_py::csv_rows row = csmetrics_py::build_rows(cols, 0, 1);
  return self.locked([&](metrics_state& s) {
    const std::uint64_t before = s.metrics().accepted();
    s.add_rows(row, /*strict=*/true, /*single=*/true);
    return s.metrics().accepted() > before;
  });
}

py::dict add_columns(shop_metrics_py& self, arg time, arg type, arg shop, arg buyer, arg agent, arg order,
                     arg amount, arg score, arg tag, bool strict) {
  const py::handle values[] = {time, type, shop, buyer, agent, order, amount, score, tag};
  csmetrics_py::columns cols;
  std::optional<std::size_t> n;
  std::string sizes;
  for (std::size_t i = 0; i < cols.size(); ++i) {
    const char* name = csmetrics::name(static_cast<csmetrics::event_field>(i)).data();  // names are literals
    cols[i] = csmetrics_py::column(values[i], name);
    if (!cols[i].is_sequence()) continue;
    sizes += std::string(sizes.empty() ? "" : ", ") + name + " " + std::to_string(cols[i].size());
    if (n && *n != cols[i].size()) n = SIZE_MAX;
    if (!n) n = cols[i].size();
  }
  if (!n) throw std::invalid_argument("add_columns: no column is a sequence (for one event, use add)");
  if (*n == SIZE_MAX) throw std::invalid_argument("add_columns: columns of different lengths: " + sizes);
  // Chunks of rows: the text stays small, and each is read without the GIL.
  constexpr std::size_t chunk = std::size_t{1} << 16;
  csmetrics_py::batch_result total;
  for (std::size_t begin = 0; begin < *n; begin += chunk) {
    const csmetrics_py::csv_rows rows = csmetrics_py::build_rows(cols, begin, std::min(*n, begin + chunk));
    const auto part = self.locked([&](metrics_state& s) { return s.add_rows(rows, strict, false); });
    total.counts.add(part.counts);
    for (const std::string& e : part.errors)
      if (total.errors.size() < csmetrics_py::batch_result::max_errors) total.errors.push_back(e);
  }
  return batch_dict(total);
}

py::object report(shop_metrics_py& self, arg as_of, const std::string& by, arg period, arg target) {
  csmetrics::report_request request;
  if (!as_of.is_none()) {
    const std::string day = text_of(as_of);  // "YYYY-MM-DD" or a datetime.date
    request.as_of = csmetrics::parse_day(day);
    if (!request.as_of) throw std::invalid_argument("as_of must be a date YYYY-MM-DD: " + day);
  }
  if (by != "shop" && by != "agent" && by != "day")
    throw std::invalid_argument("by must be shop, agent or day: " + by);
  request.agents = true;
  request.days = by == "day";  // as shop_report --by: JSON always has shops and agents
  request.scorecard = csmetrics::scorecard_options{};  // and the agents' monthly scorecards
  if (!period.is_none() || !target.is_none()) {  // as shop_report --period / --target
    const std::string p = period.is_none() ? "week" : text_of(period);
    if (p != "week" && p != "month") throw std::invalid_argument("period must be week or month: " + p);
    request.sales_change_days = demo::period_days(p);
    if (!target.is_none()) {
      const std::string t = text_of(target);
      request.sales_target = csmetrics::money::try_parse(t);
      if (!request.sales_target || *request.sales_target < csmetrics::money{})
        throw std::invalid_argument("target must be an amount >= 0 like '200000' or '1499.90': " + t);
    }
  }
  native_report native;
  std::string json;
  try {
    self.locked([&](metrics_state& s) {
      native.r = s.make_report(request);
      json = csmetrics::to_json(native.r);
    });
  } catch (const std::out_of_range& e) {  // an as-of day older than the days kept
    throw py::value_error(e.what());
  }
  py::object r = py::reinterpret_borrow<py::object>(report_type)(py::module_::import("json").attr("loads")(json));
  r.attr("_native") = py::cast(std::move(native));
  return r;
}

py::bytes serialize(shop_metrics_py& self, bool settle) {
  const std::vector<std::uint8_t> b = self.locked([&](metrics_state& s) { return s.serialize(settle); });
  return py::bytes(reinterpret_cast<const char*>(b.data()), b.size());
}

std::unique_ptr<shop_metrics_py> deserialize(py::buffer data, py::object input) {
  const py::buffer_info buf = data.request();
  if (buf.ndim != 1 || buf.strides[0] != buf.itemsize)
    throw std::invalid_argument("deserialize: expects contiguous bytes (bytes, bytearray, memoryview)");
  const auto size = static_cast<std::size_t>(buf.size * buf.itemsize);
  std::optional<csmetrics_py::input_counts> counts;
  if (!input.is_none()) counts = counts_arg(input.cast<py::dict>());
  py::gil_scoped_release nogil;
  csmetrics::shop_metrics m = csmetrics::shop_metrics::deserialize(buf.ptr, size);
  if (!counts) {  // as csm_merge: the events the state accepted or refused (row counts are not in the state)
    counts.emplace();
    counts->rows = counts->accepted = m.accepted();
    for (const auto& [why, n] : m.refused_by_reason()) {
      counts->rows += n;
      counts->skipped += n;
      counts->skipped_by_reason[why] += n;
    }
  }
  return std::make_unique<shop_metrics_py>(metrics_state(std::move(m), *counts));
}

py::object newest_time(shop_metrics_py& self) {
  std::optional<std::string> t = self.locked([](metrics_state& s) -> std::optional<std::string> {
    const auto newest = s.metrics().newest_time();
    if (!newest) return std::nullopt;
    return csmetrics::format_rfc3339(*newest, s.metrics().options().offset);
  });
  return t ? py::object(py::str(*t)) : py::object(py::none());
}

std::string repr(shop_metrics_py& self) {
  return self.locked([](metrics_state& s) {
    const auto newest = s.metrics().newest_time();
    return "<csmetrics.ShopMetrics: " + std::to_string(s.metrics().shops().size()) + " shops, " +
           std::to_string(s.metrics().accepted()) + " events accepted, newest " +
           (newest ? csmetrics::format_rfc3339(*newest, s.metrics().options().offset) : std::string("none")) + ">";
  });
}

}  // namespace

PYBIND11_MODULE(csmetrics, m) {
  m.doc() =
      "Exact, mergeable customer-service metrics of online shops (csmetrics, C++).\n\n"
      "ShopMetrics runs shop_report's pipeline over event logs (EVENTS.md's CSV, or Python values):\n"
      "inquiry and payment conversion, response times, sales, DSR. report() is shop_report's JSON as a\n"
      "dict, serialize() the bytes of shop_report --save-state, which csm_merge and ShopMetrics.deserialize\n"
      "read back; states of disjoint (shop, buyer) parts merge into the state of the whole log.";
  m.attr("__version__") = CSMETRICS_PY_VERSION;
  PyDateTime_IMPORT;  // PyDelta_Check in duration_arg
  if (!PyDateTimeAPI) throw py::error_already_set();

  auto deserialize_error =
      py::register_exception<csmetrics::deserialize_error>(m, "DeserializeError", PyExc_ValueError);
  deserialize_error.attr("__doc__") =
      "Serialized bytes that are truncated, corrupt, of another type or of an unknown format version.";

  py::dict scope("__builtins__"_a = py::module_::import("builtins"), "__name__"_a = "csmetrics");
  py::exec(R"(
class Report(dict):
    """A report: exactly json.loads of shop_report --format json (input, shops, agents).

    Also carries the figures it was made from, which to_json, to_prometheus and to_html
    render (changes made to the dict are not seen by them). Pickles as a plain dict."""
    __slots__ = ("_native",)

    def __reduce__(self):
        return (dict, (dict(self),))
)",
           scope);
  m.attr("Report") = scope["Report"];
  report_type = scope["Report"].ptr();
  py::class_<native_report>(m, "_NativeReport", "The C++ report behind a Report (internal).");

  py::class_<shop_metrics_py>(
      m, "ShopMetrics",
      "Every csmetrics metric over one event stream, per shop: shop_report as a library.\n\n"
      "Options are shop_report's, with its syntax and defaults: utc_offset is the shops' day\n"
      "boundary ('+08:00'); durations are '45s', '10m', '24h', '3d' (also a datetime.timedelta\n"
      "or seconds). Rows from read_csv, add and add_columns are checked by the library's CSV\n"
      "reader: bad rows are counted by reason in report()['input'] as shop_report counts them.\n"
      "Each read_csv file is read like one shop_report FILE; add and add_columns calls continue\n"
      "one stream of rows (the max_lateness rule holds across calls).")
      .def(py::init([](arg utc_offset, arg session_gap, arg max_wait, arg attribution_window, arg payment_window,
                       arg max_lateness, arg service_hours, arg calendar) {
             return std::make_unique<shop_metrics_py>(metrics_state(options_arg(
                 utc_offset, session_gap, max_wait, attribution_window, payment_window, max_lateness, service_hours,
                 calendar)));
           }),
           "utc_offset"_a = "+08:00", "session_gap"_a = "10m", "max_wait"_a = "24h", "attribution_window"_a = "3d",
           "payment_window"_a = "3d", "max_lateness"_a = "1h", py::kw_only(), "service_hours"_a = py::none(),
           "calendar"_a = py::none(),
           "A state with shop_report's options (ValueError for a bad one). service_hours='08:00-24:00' (every\n"
           "shop) or calendar='hours.csv' (shop_report --calendar's CSV): response figures also on service time\n"
           "(report()'s response_service_s, first_response_service_s).")
      .def("read_csv", &read_csv, "path"_a, "strict"_a = false,
           "Reads one CSV event log (EVENTS.md) without the GIL. Bad rows are skipped and counted;\n"
           "strict=True raises ValueError at the first one (the rows before it stay added).\n"
           "Returns this file's counts: rows, accepted, skipped, skipped_by_reason and errors (the first\n"
           "100 messages, 'line 17: ...'). OSError when the file cannot be opened, ValueError for a bad header.")
      .def("add", &add, "time"_a, "type"_a, py::kw_only(), "shop"_a = py::none(), "buyer"_a = py::none(),
           "agent"_a = py::none(), "order"_a = py::none(), "amount"_a = py::none(), "score"_a = py::none(),
           "tag"_a = py::none(),
           "Adds one event: the columns of EVENTS.md (time: RFC 3339 with offset, or an aware datetime;\n"
           "amount: '149.90'; score: 1..5). A row the CSV reader would skip raises ValueError with its\n"
           "message (and is counted as skipped). Returns False when a metric family rejected the event\n"
           "(a duplicate order, a payment of an unknown order, ...: counted in the report), else True.")
      .def("add_columns", &add_columns, "time"_a, "type"_a, py::kw_only(), "shop"_a = py::none(),
           "buyer"_a = py::none(), "agent"_a = py::none(), "order"_a = py::none(), "amount"_a = py::none(),
           "score"_a = py::none(), "tag"_a = py::none(), "strict"_a = false,
           "Adds a batch of events given by column: lists, tuples or numpy arrays of equal length, or one\n"
           "value for every row (None: empty). Cells as in add (NaN is empty; numpy datetime64 is UTC).\n"
           "Read without the GIL. Bad rows are skipped and counted (strict=True: ValueError at the first,\n"
           "the rows before it stay added). Returns the batch's counts like read_csv, messages 'row 3: ...'\n"
           "(0-based).")
      .def("finish", [](shop_metrics_py& self, arg now) {
             std::optional<csmetrics::timestamp> t;
             if (!now.is_none()) t = time_arg(now);
             self.locked([&](metrics_state& s) { s.finish(t); });
           }, "now"_a = py::none(),
           "Settles the stream at `now` (default: the newest event) in place, as shop_report does at the end:\n"
           "bursts waiting past max_wait become unanswered, unpaid orders expire. Later events older than\n"
           "`now` are rejected as too late. report() and serialize() settle a copy when this was not done.")
      .def("report", &report, "as_of"_a = py::none(), "by"_a = "shop", "period"_a = py::none(),
           "target"_a = py::none(),
           "The report, equal to json.loads of shop_report --format json on the same rows: settled at the\n"
           "newest event, windows ending on `as_of` ('YYYY-MM-DD' or a date; default the newest event's\n"
           "local day); by='day' adds per-day rows as shop_report --by day; period='week'|'month' and\n"
           "target='200000' add each shop's sales change as shop_report --period / --target (the page of\n"
           "shop_report --html is to_html(report(by='day', period='week'))). Returns a Report (a dict).\n"
           "Settling works on a copy of the state (about as long as reading the rows) unless finish()\n"
           "settled it already: call finish() first when the stream has ended.")
      .def("serialize", &serialize, "settle"_a = true,
           "The state as bytes: settled at the newest event, the bytes shop_report --save-state writes\n"
           "(csm_merge reads them); settle=False: the state as it is, to continue feeding after loading it.")
      .def_static("deserialize", &deserialize, "data"_a, "input"_a = py::none(),
                  "A state from serialize() or shop_report --save-state bytes; DeserializeError for bad bytes.\n"
                  "`input`: the input counts its report shows (a part's ShopMetrics.input); by default, as\n"
                  "csm_merge, rows = accepted = the events the state accepted.")
      .def("merge", &shop_metrics_py::merge, "other"_a,
           "Adds `other`'s state and input counts: exact when the two saw disjoint (shop, buyer) sets, with\n"
           "payments, cancels, refunds, disputes and reminders beside their order. ValueError when the\n"
           "options differ.")
      .def_property_readonly("input", [](shop_metrics_py& self) {
             return counts_dict(self.locked([](metrics_state& s) { return s.input(); }));
           }, "The input counts the report shows: rows, accepted, skipped, skipped_by_reason.")
      .def_property_readonly("newest_time", &newest_time,
                             "The newest event's time, RFC 3339 in utc_offset; None before any event.")
      .def("__repr__", &repr);

  m.def("to_json", [](arg r) { return csmetrics::to_json(native_of(r, "to_json")); }, "report"_a,
        "A Report as the text shop_report --format json prints.");
  m.def("to_prometheus", [](arg r) { return csmetrics::to_prometheus(native_of(r, "to_prometheus")); },
        "report"_a, "A Report in the Prometheus text format, as shop_report --format prometheus prints it.");
  m.def("to_html", [](arg r) { return demo::to_html(native_of(r, "to_html")); }, "report"_a,
        "A Report as shop_report --html's self-contained page (funnel, response times, DSR curve, agents).");
  m.def("demo_week_csv", [] { return demo::demo_week_builder().csv(); },
        "The CSV of shop_report's built-in demo week (what it reports when given no file).");
}
