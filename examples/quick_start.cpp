// SPDX-License-Identifier: Apache-2.0
// The README's quick start: one conversation, its response time and the
// answer/question ratio (答问比), then the same state through bytes.
#include <csmetrics/csmetrics.hpp>

#include <chrono>
#include <iostream>

int main() {
  using namespace std::chrono_literals;
  csmetrics::sessions<> cs;                                        // integer shop/buyer/agent ids, UTC+8 days
  const csmetrics::timestamp t0{std::chrono::seconds{1567303200}};  // 2019-09-01 10:00 at UTC+8
  cs.buyer_message(/*shop*/ 1, /*buyer*/ 42, t0);
  cs.agent_message(1, 42, /*agent*/ 7, t0 + 30s);                  // answers the burst after 30 s
  cs.agent_message(1, 42, 7, t0 + 50s);
  cs.flush(t0 + 1h);
  const auto shop = cs.shop(1);
  std::cout << "mean response " << *shop.response().mean() << " s, within 45 s "
            << *shop.response().within().rate() * 100 << " %, answer/question " << *shop.answer_ratio() * 100
            << " %\n";                                             // 30 s, 100 %, 200 %
  const auto bytes = cs.serialize();                               // ship it, store it, merge it elsewhere
  std::cout << bytes.size() << " bytes, equal after a round trip: "
            << (csmetrics::sessions<>::deserialize(bytes.data(), bytes.size()) == cs) << '\n';
}
