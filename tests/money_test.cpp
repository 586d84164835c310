// SPDX-License-Identifier: Apache-2.0
#include "csmetrics/core/money.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "support.hpp"

using namespace csmetrics;

namespace {

constexpr std::int64_t i64_max = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t i64_min = std::numeric_limits<std::int64_t>::min();

money_parse_error reason_of(std::string_view s) {
  money_parse_error why = money_parse_error::empty;
  auto m = money::try_parse(s, &why);
  REQUIRE_FALSE(m.has_value());
  return why;
}

/// An independent reference: adds decimal strings digit by digit (no
/// integers wider than one digit), so it cannot drift or overflow.
struct decimal_string_adder {
  std::string digits = "0";  // the total in minor units, most significant digit first

  void add(std::string v) {
    std::size_t dot = v.find('.');
    std::string cents;
    if (dot == std::string::npos) {
      cents = v + "00";
    } else {
      std::string frac = v.substr(dot + 1);
      while (frac.size() < 2) frac += '0';
      cents = v.substr(0, dot) + frac;
    }
    std::string out;
    int carry = 0;
    auto a = digits.rbegin();
    auto b = cents.rbegin();
    while (a != digits.rend() || b != cents.rend() || carry) {
      int d = carry;
      if (a != digits.rend()) d += *a++ - '0';
      if (b != cents.rend()) d += *b++ - '0';
      out.push_back(static_cast<char>('0' + d % 10));
      carry = d / 10;
    }
    while (out.size() > 1 && out.back() == '0') out.pop_back();
    digits.assign(out.rbegin(), out.rend());
  }
  std::string text() const {
    std::string d = digits;
    while (d.size() < 3) d.insert(d.begin(), '0');
    return d.substr(0, d.size() - 2) + "." + d.substr(d.size() - 2);
  }
};

}  // namespace

TEST_CASE("money: parses the log's amounts exactly", "[money]") {
  CHECK(money::parse("149.90").minor() == 14990);
  CHECK(money::parse("0.5").minor() == 50);
  CHECK(money::parse("1200").minor() == 120000);
  CHECK(money::parse("0").minor() == 0);
  CHECK(money::parse("0.00").minor() == 0);
  CHECK(money::parse("0.01").minor() == 1);
  CHECK(money::parse("007.5").minor() == 750);
  CHECK(money::parse("92233720368547758.07").minor() == i64_max);
  CHECK(money::parse("000000000000000000000000092233720368547758.07").minor() == i64_max);
  static_assert(money::try_parse("12.34")->minor() == 1234, "parsing is constexpr");
}

TEST_CASE("money: rejects bad text with the reason", "[money]") {
  CHECK(reason_of("") == money_parse_error::empty);
  for (const char* junk : {"abc", "1e3", " 5", "5 ", "+5", ".5", "5.", "1,5", "-", "1.2.3", "1.5x", "x1", "--1",
                           "1..2", "0x10", "١٢", "1\n", "-.5", "-abc"}) {
    INFO(junk);
    CHECK(reason_of(junk) == money_parse_error::junk);
  }
  CHECK(reason_of("-3.50") == money_parse_error::negative);
  CHECK(reason_of("-0") == money_parse_error::negative);
  CHECK(reason_of("1.234") == money_parse_error::too_many_decimals);
  CHECK(reason_of("1.230") == money_parse_error::too_many_decimals);
  CHECK(reason_of("-1.234") == money_parse_error::too_many_decimals);
  CHECK(reason_of("92233720368547758.08") == money_parse_error::overflow);
  CHECK(reason_of("92233720368547759") == money_parse_error::overflow);
  CHECK(reason_of("99999999999999999999999999999999") == money_parse_error::overflow);
  CHECK(reason_of("18446744073709551616.00") == money_parse_error::overflow);  // 2^64: no wrap-around
  CHECK(name(money_parse_error::too_many_decimals) == "too_many_decimals");
  CHECK(name(money_parse_error::empty) == "empty");
  CHECK(name(money_parse_error::junk) == "junk");
  CHECK(name(money_parse_error::negative) == "negative");
  CHECK(name(money_parse_error::overflow) == "overflow");
}

TEST_CASE("money: parse throws a clear message", "[money]") {
  CHECK_THROWS_AS(money::parse("1.234"), std::invalid_argument);
  CHECK_THROWS_WITH(money::parse("1.234"), "csmetrics::money: amount has 3 decimals (at most 2): 1.234");
  CHECK_THROWS_WITH(money::parse(""), Catch::Contains("amount is empty"));
  CHECK_THROWS_WITH(money::parse("12abc"), Catch::Contains("not a decimal number: 12abc"));
  CHECK_THROWS_WITH(money::parse("-1"), Catch::Contains("negative: -1"));
  CHECK_THROWS_WITH(money::parse("1e999"), Catch::Contains("not a decimal number"));
  CHECK_THROWS_WITH(money::parse("99999999999999999999"), Catch::Contains("exceeds 92233720368547758.07"));
  std::string huge(10000, '7');
  CHECK_THROWS_WITH(money::parse(huge + "x"), Catch::Contains("..."));  // long text is cut in messages
}

TEST_CASE("money: formats with two decimals", "[money]") {
  CHECK(money::from_minor(14990).to_string() == "149.90");
  CHECK(money::from_minor(5).to_string() == "0.05");
  CHECK(money::from_minor(0).to_string() == "0.00");
  CHECK(money::from_minor(-350).to_string() == "-3.50");
  CHECK(money::from_minor(-5).to_string() == "-0.05");
  CHECK(money::from_minor(i64_max).to_string() == "92233720368547758.07");
  CHECK(money::from_minor(i64_min).to_string() == "-92233720368547758.08");
  CHECK(money::from_minor(125).to_double() == 1.25);
  std::mt19937_64 rng(3);
  for (int i = 0; i < 20000; ++i) {
    std::int64_t v = static_cast<std::int64_t>(rng() >> (1 + rng() % 63));
    REQUIRE(money::parse(money::from_minor(v).to_string()).minor() == v);
  }
}

TEST_CASE("money: arithmetic is exact and overflow-checked", "[money]") {
  money a = money::parse("0.10");
  money b = money::parse("0.20");
  CHECK(a + b == money::parse("0.30"));  // 0.1 + 0.2 == 0.3, unlike double
  CHECK((a - b).to_string() == "-0.10");  // negatives allowed in arithmetic (refunds)
  CHECK(-a == money::from_minor(-10));
  CHECK(a * 3 == money::from_minor(30));
  CHECK(3 * a == money::from_minor(30));
  CHECK(a < b);
  CHECK(b > a);
  CHECK(a <= a);
  CHECK(a >= a);
  CHECK(a != b);
  CHECK(money{} == money::from_minor(0));
  money top = money::from_minor(i64_max);
  money bottom = money::from_minor(i64_min);
  CHECK_THROWS_AS(top + money::from_minor(1), std::overflow_error);
  CHECK_THROWS_AS(bottom - money::from_minor(1), std::overflow_error);
  CHECK_THROWS_AS(-bottom, std::overflow_error);
  CHECK_THROWS_AS(money::from_minor(0) - bottom, std::overflow_error);
  CHECK_THROWS_AS(top * 2, std::overflow_error);
  money c = top;
  CHECK_THROWS_AS(c += money::from_minor(1), std::overflow_error);
  CHECK(c == top);  // unchanged after the throw
  CHECK(top + bottom == money::from_minor(-1));
}

TEST_CASE("money: the 103 886 Olist payments sum to exactly 16008872.12", "[money][shared]") {
  // Reference, computed once with Python's decimal module:
  //   python3 -c "import csv,decimal; print(sum(decimal.Decimal(r['payment_value']) for r in
  //     csv.DictReader(open('olist_order_payments_dataset.csv'))))"   ->  16008872.12
  // The file has no quotes (grep -c '"' gives 0), so a plain split by ',' is exact.
  std::string file = std::string(CSMETRICS_SHARED_DIR) + "/data/raw/olist/olist_order_payments_dataset.csv";
  std::ifstream in(file);
  if (!in) {
    WARN("SKIPPED: " << file << " is absent (the shared/ folder is not beside the project)");
    return;
  }
  std::string line;
  REQUIRE(std::getline(in, line));
  REQUIRE(line == "order_id,payment_sequential,payment_type,payment_installments,payment_value");
  money total;
  money_sum acc;
  money_sum halves[2];
  decimal_string_adder reference;
  double drifting = 0;
  std::size_t n = 0;
  while (std::getline(in, line)) {
    std::string value = line.substr(line.rfind(',') + 1);
    money m = money::parse(value);
    total += m;
    acc.add(m);
    halves[n % 2].add(m);
    reference.add(value);
    drifting += std::stod(value);
    ++n;
  }
  CHECK(n == 103886);
  CHECK(reference.text() == "16008872.12");
  CHECK(total.to_string() == reference.text());
  CHECK(total.minor() == 1600887212);
  CHECK(acc.sum() == total);
  CHECK(acc.count() == 103886);
  halves[0].merge(halves[1]);
  CHECK(halves[0] == acc);
  // What the exact type buys: the double sum has drifted off the cent.
  INFO("double sum = " << std::to_string(drifting));
  CHECK(drifting != 16008872.12);
}

TEST_CASE("money_sum: hand-worked and empty", "[money_sum]") {
  money_sum s;
  CHECK(s.count() == 0);
  CHECK_FALSE(s.mean().has_value());
  s.add(money::parse("149.90"));
  s.add(money::parse("30"));
  s.add(-money::parse("9.90"));  // a refund deducted
  CHECK(s.count() == 3);
  CHECK(s.sum().to_string() == "170.00");
  CHECK(*s.mean() == Approx(170.0 / 3));
  s.reset();
  CHECK(s == money_sum{});
  money_sum big;
  big.add(money::from_minor(i64_max));
  CHECK_THROWS_AS(big.add(money::from_minor(1)), std::overflow_error);
  CHECK(big.count() == 1);  // a failed add changes nothing
  money_sum other;
  other.add(money::from_minor(1));
  CHECK_THROWS_AS(big.merge(other), std::overflow_error);
  CHECK(big.count() == 1);
  CHECK(big.sum() == money::from_minor(i64_max));
}

namespace {
std::vector<money> random_amounts(std::mt19937_64& rng, std::size_t n) {
  std::vector<money> v;
  std::uniform_int_distribution<std::int64_t> cents(-50000, 5000000);
  for (std::size_t i = 0; i < n; ++i) v.push_back(money::from_minor(cents(rng)));
  return v;
}
money_sum sum_of(const std::vector<money>& v) {
  money_sum s;
  for (money m : v) s.add(m);
  return s;
}
}  // namespace

TEST_CASE("money_sum: split and merge equals the whole", "[money_sum][merge]") {
  std::mt19937_64 rng(11);
  for (int round = 0; round < 50; ++round) {
    auto events = random_amounts(rng, 1 + rng() % 300);
    csm_test::check_split_merge([] { return money_sum{}; }, events, [](money_sum& s, money m) { s.add(m); }, rng,
                                1 + static_cast<int>(rng() % 6));
  }
}

TEST_CASE("money_sum: merge laws", "[money_sum][merge]") {
  std::mt19937_64 rng(12);
  for (int round = 0; round < 20; ++round)
    csm_test::check_merge_laws(sum_of(random_amounts(rng, 40)), sum_of(random_amounts(rng, 7)),
                               sum_of(random_amounts(rng, 100)), money_sum{});
}

TEST_CASE("money_sum: serialize round trip and corruption", "[money_sum][serde]") {
  std::mt19937_64 rng(13);
  csm_test::check_round_trip(money_sum{});
  csm_test::check_round_trip(sum_of(random_amounts(rng, 1000)));
  money_sum extreme;
  extreme.add(money::from_minor(i64_min));
  csm_test::check_round_trip(extreme);
  csm_test::check_corruption(sum_of(random_amounts(rng, 1000)), rng);
  // Invariant: an empty sum has a zero total.
  detail::writer w;
  w.header(detail::type_id::money_sum, 1);
  w.varint(0);
  w.svarint(5);
  auto bad = w.take();
  CHECK_THROWS_WITH(money_sum::deserialize(bad.data(), bad.size()), Catch::Contains("sum is 0 when count is 0"));
  detail::writer w2;
  w2.header(detail::type_id::money_sum, 2);
  w2.varint(0);
  w2.svarint(0);
  auto future = w2.take();
  CHECK_THROWS_WITH(money_sum::deserialize(future.data(), future.size()),
                    Catch::Contains("unsupported format version 2"));
}

TEST_CASE("money_sum: golden v1 bytes", "[money_sum][serde]") {
  money_sum s;
  for (const char* a : {"149.90", "0.5", "1200", "16008872.12"}) s.add(money::parse(a));
  s.add(-money::parse("30.05"));
  CHECK(s.sum().to_string() == "16010192.47");
  csm_test::check_golden(s, "money_sum_v1.bin");
  auto bytes = csm_test::bare(s);
  CHECK(bytes.size() == 6 + 1 + 5);  // header, count 5, zig-zag 3202038474
  CHECK(bytes[2] == 3);              // type id money_sum
}

TEST_CASE("money: error messages quote bad amounts as valid UTF-8, never half a character", "[money][errors]") {
  // 30 three-byte characters: the quote stops at a character boundary near 64 bytes.
  std::string text;
  for (int i = 0; i < 30; ++i) text += "\xe9\x87\x91";  // 金
  const std::string m = csmetrics::detail::money_error_message(csmetrics::money_parse_error::junk, text);
  CHECK(csmetrics::detail::valid_utf8(m));
  CHECK_THAT(m, Catch::StartsWith("amount is not a decimal number: \xe9\x87\x91"));
  CHECK_THAT(m, Catch::EndsWith("..."));
  // Control bytes and invalid bytes are shown as \xHH.
  CHECK(csmetrics::detail::money_error_message(csmetrics::money_parse_error::junk, "1\t2\xff") ==
        "amount is not a decimal number: 1\\x092\\xff");
}
