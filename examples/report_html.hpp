// SPDX-License-Identifier: Apache-2.0
// File: examples/report_html.hpp
//
// shop_report's HTML output: one self-contained file (inline SVG, CSS and a
// few lines of script; nothing from the network). First the totals, the
// overview (one sortable row per shop, flagged against the bars of
// ../shared/METRICS.md, with a daily sparkline and a link to the shop's
// section) and the agents of every shop; then one folding section per shop:
// the conversion funnel, the daily trends (inquiry conversion final and same
// day, response p50 / p90 against 45 s, sales and orders), the sales
// waterfall between the last two periods (traffic, conversion and basket
// value parts that add up to the change to the cent), the response-time
// distribution, the trailing 180-day DSR and the shop's agents.
//
// The trends and the waterfall need the report's days and sales_change
// (shop_report fills them for --html: report_output.hpp's add_trends); a
// report without them says so in words. Charts: report_html_charts.hpp;
// tables: report_html_tables.hpp.
#ifndef CSMETRICS_EXAMPLES_REPORT_HTML_HPP_
#define CSMETRICS_EXAMPLES_REPORT_HTML_HPP_

#include <cstddef>  // std::size_t
#include <string>     // std::string

#include "csmetrics/io/report.hpp"
#include "report_html_charts.hpp"
#include "report_html_tables.hpp"
#include "report_text.hpp"

namespace demo {

namespace html_detail {

inline const char* page_style() {
  return "body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#1d2330;background:#f4f6f9}"
         "main{max-width:1180px;margin:0 auto;padding:1.2em 1.5em 3em}h1{font-size:1.6em;margin:.3em 0}"
         "h2{font-size:1.2em;margin:0;display:inline}h3{font-size:1em;margin:1em 0 .2em;color:#445}"
         ".sub{color:#667;margin:.2em 0 1em}.cards{display:flex;flex-wrap:wrap;gap:10px;margin:1em 0}"
         ".card{background:#fff;border-radius:8px;padding:10px 14px;min-width:130px;box-shadow:0 1px 2px #0002}"
         ".card b{display:block;font-size:1.35em}.card span{color:#667;font-size:.85em}.card.bad b{color:#c62828}"
         ".panel{background:#fff;border-radius:8px;padding:12px 16px;margin:14px 0;box-shadow:0 1px 2px #0002;"
         "overflow-x:auto}.panel.scroll{max-height:520px;overflow-y:auto;padding-top:0}.panel.scroll h3{padding-top:12px}"
         "table{border-collapse:collapse;width:100%;font-size:13px}"
         "td,th{padding:4px 6px;border-bottom:1px solid #e3e7ee;text-align:right;white-space:nowrap}"
         "th{background:#eef1f6;position:sticky;top:0}table.sortable th{cursor:pointer}"
         "table.sortable th:hover{background:#dde4f0}th[aria-sort=ascending]::after{content:' \\25B2'}"
         "th[aria-sort=descending]::after{content:' \\25BC'}"
         "td:first-child,th:first-child,td.name{text-align:left}"
         "td.bad{color:#c62828;font-weight:600;background:#fdecea}tr.sum td{font-weight:600}"
         "a{color:#1f5fbf;text-decoration:none}a:hover{text-decoration:underline}"
         "details.shop{background:#fff;border-radius:8px;margin:10px 0;box-shadow:0 1px 2px #0002}"
         "details.shop>summary{padding:10px 16px;cursor:pointer}details.shop>div{padding:0 16px 14px}"
         ".kpi{color:#556;margin-left:1em;font-size:.9em}.grid2{display:grid;grid-template-columns:"
         "repeat(auto-fit,minmax(460px,1fr));gap:0 24px}"
         "svg.chart{width:100%;max-width:640px;display:block;font:11px system-ui,sans-serif;fill:#445}"
         "svg.chart polyline{fill:none;stroke-width:2}.s1{stroke:#2f6fd0}.s2{stroke:#e08a1e}.s3{stroke:#2a9d5c}"
         ".ks1{fill:#2f6fd0}.ks2{fill:#e08a1e}.kbar{fill:#9db8e6}.grid{stroke:#e3e7ee}.bar,.bars{fill:#9db8e6}"
         ".line45{stroke:#d33;stroke-dasharray:4 3;stroke-width:1.5}.t45{fill:#d33}.note{fill:#889}"
         ".wf-total{fill:#7d8799}.wf-part.up{fill:#2a9d5c}.wf-part.down{fill:#d9534f}text.v{fill:#1d2330;"
         "font-weight:600}svg.spark{width:100px;height:24px}svg.spark polyline{fill:none;stroke:#2f6fd0;"
         "stroke-width:1.5}p.empty{color:#778;font-style:italic;margin:.4em 0 1em}"
         "button{font:inherit;margin-right:6px}h4{margin:.6em 0 0;font-size:.9em;color:#556}"
         "table.factors{margin-top:.5em}table.factors td:first-child{white-space:normal}";
}

/// Sorting by any column, sections opened when a link points into them, and
/// the time the page took to lay out (data-render-ms, for the tests).
inline const char* page_script() {
  return "(function(){"
         "function key(td){var v=td.getAttribute('data-v');if(v===null)return td.textContent;"
         "if(v==='')return null;var n=Number(v);return isNaN(n)?v.toLowerCase():n;}"
         "Array.prototype.forEach.call(document.querySelectorAll('table.sortable'),function(t){"
         "var ths=t.tHead.rows[0].cells;Array.prototype.forEach.call(ths,function(th,i){"
         "th.addEventListener('click',function(){var asc=th.getAttribute('aria-sort')!=='ascending';"
         "Array.prototype.forEach.call(ths,function(h){h.removeAttribute('aria-sort');});"
         "th.setAttribute('aria-sort',asc?'ascending':'descending');"
         "var b=t.tBodies[0],rows=Array.prototype.slice.call(b.rows);"
         "rows.sort(function(x,y){var a=key(x.cells[i]),c=key(y.cells[i]);if(a===c)return 0;"
         "if(a===null)return 1;if(c===null)return -1;var r=a<c?-1:1;return asc?r:-r;});"
         "rows.forEach(function(r){b.appendChild(r);});});});});"
         "function openHash(){var id=decodeURIComponent(location.hash.slice(1));"
         "var e=id?document.getElementById(id):null;if(e&&e.tagName==='DETAILS'){e.open=true;e.scrollIntoView();}}"
         "window.addEventListener('hashchange',openHash);openHash();"
         "function all(o){Array.prototype.forEach.call(document.querySelectorAll('details.shop'),"
         "function(d){d.open=o;});}"
         "var a=document.getElementById('open-all'),z=document.getElementById('close-all');"
         "if(a)a.addEventListener('click',function(){all(true);});"
         "if(z)z.addEventListener('click',function(){all(false);});"
         "window.addEventListener('load',function(){void document.body.offsetHeight;"
         "document.body.setAttribute('data-render-ms',String(Math.round(performance.now())));});"
         "})();";
}

/// The days a shop's trends show: 8 weeks, or two months with --period month.
inline int trend_window(const csmetrics::report& r) {
  for (const auto& [name, s] : r.shops)
    if (s.sales_change) return s.sales_change->period == "month" ? 60 : 56;
  return 56;
}

inline std::string shop_section(const csmetrics::shop_report& s, const std::string& name, std::size_t k,
                                const csmetrics::report& r, int window, bool open) {
  using text_detail::pct;
  const std::string id = "shop-" + std::to_string(k), p = "s" + std::to_string(k) + "-";
  std::string o = "<details class=\"shop\" id=\"" + id + "\"" + (open ? " open" : "") + "><summary><h2>" +
                  esc(name) + "</h2><span class=\"kpi\">as of " + csmetrics::format_day(s.as_of) +
                  " &middot; inquiry conversion " + pct(s.inquiry_conversion.value()) +
                  (s.conversion_provisional ? " (provisional)" : "") + " &middot; payment " +
                  pct(s.payment_conversion.value()) + " &middot; sales " + s.revenue.to_string() +
                  " &middot; mean response " + (s.response_s.mean ? dur_label(*s.response_s.mean) : "n/a") +
                  (s.response_service_s  // with a service calendar
                       ? " &middot; on service time " +
                             (s.response_service_s->mean ? dur_label(*s.response_service_s->mean) : "n/a")
                       : std::string()) +
                  "</span></summary><div>\n";
  if (const auto& v = s.response_service_s) {
    o += "<p class=\"service-time\">On service time (the clock runs only in service hours): mean response " +
         (v->mean ? dur_label(*v->mean) : "n/a") + ", p50 / p90 / p99 " + (v->p50 ? dur_label(*v->p50) : "n/a") +
         " / " + (v->p90 ? dur_label(*v->p90) : "n/a") + " / " + (v->p99 ? dur_label(*v->p99) : "n/a") +
         ", answered within 45 s " + pct(v->within_threshold);
    if (const auto& f = s.first_response_service_s)
      o += ", first response mean " + (f->mean ? dur_label(*f->mean) : "n/a");
    o += ".</p>\n";
  }
  o += "<div class=\"grid2\"><div><h3>Conversion funnel (buyers)</h3>" + funnel(s, p + "funnel") + "</div>";
  o += "<div><h3>Sales change by factor";
  if (s.sales_change)
    o += ", last " + s.sales_change->period + " against the one before</h3>" +
         waterfall(*s.sales_change, p + "waterfall") +
         (s.sales_change->before.minor() == 0 && s.sales_change->after.minor() == 0 ? std::string()
                                                                                  : change_table(*s.sales_change));
  else
    o += "</h3>" + empty_state("This report has no sales change (shop_report --period week|month fills it).");
  o += "</div></div>\n";
  o += "<h3>Daily trends, last " + std::to_string(window) + " days</h3>";
  if (s.days.empty()) {
    o += empty_state("This report has no daily rows (shop_report --html or --by day fills them).");
  } else {
    o += "<div class=\"grid2\"><div><h4>Inquiry conversion</h4>" + trend_conversion(s, window, p + "trend-conv") +
         "</div><div><h4>Response time</h4>" + trend_response(s, window, p + "trend-resp") + "</div><div><h4>" +
         (s.orders ? "Sales and orders" : "Conversations") + "</h4>" + trend_sales(s, window, p + "trend-sales") +
         "</div></div>\n";
  }
  o += "<div class=\"grid2\"><div><h3>Response times (share answered within x)</h3>" +
       response_chart(s, p + "response") + "</div><div><h3>DSR, item as described, trailing 180 days</h3>" +
       dsr_chart(s, p + "dsr") + "</div></div>\n";
  o += "<h3>Agents</h3>" + agents_table(r, &name, p + "agents");
  // The latest period's scorecard (the month as_of falls in); the earlier ones are in the JSON and the text.
  if (!s.scorecards.empty())
    o += "<h3>Agents' scorecard</h3>" + scorecard_tables({s.scorecards.back()}, p + "scorecard");
  o += "</div></details>\n";
  return o;
}

}  // namespace html_detail

inline std::string to_html(const csmetrics::report& r) {
  using namespace html_detail;
  const int window = trend_window(r);
  std::string o = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                  "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
                  "<title>csmetrics shop report</title><style>";
  o += page_style();
  o += "</style></head><body><main>\n<h1>csmetrics shop report</h1>\n";
  o += "<p class=\"sub\">" + text_detail::num(r.rows) + " rows read, " + text_detail::num(r.accepted) +
       " accepted, " + text_detail::num(r.skipped) + " skipped";
  if (!r.shops.empty()) o += "; figures as of " + csmetrics::format_day(r.shops.begin()->second.as_of);
  o += ". Bars: mean response &le; 45 s, answer/question &ge; 130 %, invitations &ge; 90 %, satisfaction "
       "&ge; 80 %; failing cells are red. Click a column to sort.</p>\n";
  o += totals(r);
  if (r.shops.empty()) return o + empty_state("No shop in this log.") + "</main></body></html>\n";
  o += "<div class=\"panel scroll\"><h3>Shops (" + text_detail::num(r.shops.size()) + ")</h3>" + overview(r, window) + "</div>\n";
  o += "<div class=\"panel scroll\"><h3>Agents of every shop</h3>" + agents_table(r, nullptr, "agents-all") +
       "</div>\n";
  const bool open = r.shops.size() <= 3;
  o += "<p><button id=\"open-all\" type=\"button\">open all shops</button><button id=\"close-all\" "
       "type=\"button\">fold all shops</button></p>\n";
  std::size_t k = 0;
  for (const auto& [name, s] : r.shops) o += shop_section(s, name, k++, r, window, open);
  o += "<script>";
  o += page_script();
  return o + "</script></main></body></html>\n";
}

}  // namespace demo

#endif  // CSMETRICS_EXAMPLES_REPORT_HTML_HPP_
