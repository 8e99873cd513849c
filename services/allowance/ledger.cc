#include "services/allowance/ledger.h"

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace shouhu::allowance {
namespace {

int64_t* Slot(Balances& b, v1::LedgerAccount account) {
  switch (account) {
    case v1::LEDGER_ACCOUNT_AVAILABLE:
      return &b.available;
    case v1::LEDGER_ACCOUNT_RESERVED:
      return &b.reserved;
    case v1::LEDGER_ACCOUNT_IN_PAYMENT:
      return &b.in_payment;
    case v1::LEDGER_ACCOUNT_DISBURSED:
      return &b.disbursed;
    default:
      return nullptr;
  }
}

int64_t Sum(const LedgerSums& sums, v1::LedgerAccount account) {
  auto found = sums.by_account.find(account);
  return found == sums.by_account.end() ? 0 : found->second;
}

bool IdentityHolds(const Balances& b) {
  return b.budget == b.available + b.reserved + b.in_payment + b.disbursed;
}

}  // namespace

bool Balances::operator==(const Balances& o) const {
  return budget == o.budget && available == o.available && reserved == o.reserved &&
         in_payment == o.in_payment && disbursed == o.disbursed;
}

int64_t BalanceOf(const Balances& b, v1::LedgerAccount account) {
  if (account == v1::LEDGER_ACCOUNT_FUNDING) return -b.budget;
  Balances copy = b;
  int64_t* slot = Slot(copy, account);
  return slot == nullptr ? 0 : *slot;
}

absl::StatusOr<Balances> Move(const Balances& b, v1::LedgerAccount from, v1::LedgerAccount to,
                              int64_t amount) {
  if (amount <= 0) return InvalidField("amount_fen", "must be positive");
  if (from == to) return absl::InvalidArgumentError("a movement needs two different accounts");
  Balances next = b;
  if (from == v1::LEDGER_ACCOUNT_FUNDING) {
    next.budget += amount;
  } else {
    int64_t* source = Slot(next, from);
    if (source == nullptr) return absl::InvalidArgumentError("unknown source account");
    if (*source < amount)
      return absl::FailedPreconditionError("the source account holds less than the amount");
    *source -= amount;
  }
  if (to == v1::LEDGER_ACCOUNT_FUNDING) {
    next.budget -= amount;
  } else {
    int64_t* target = Slot(next, to);
    if (target == nullptr) return absl::InvalidArgumentError("unknown target account");
    *target += amount;
  }
  return next;
}

v1::ProgramBalances ToProto(const Balances& b) {
  v1::ProgramBalances out;
  out.set_budget_fen(b.budget);
  out.set_available_fen(b.available);
  out.set_reserved_fen(b.reserved);
  out.set_in_payment_fen(b.in_payment);
  out.set_disbursed_fen(b.disbursed);
  return out;
}

Balances BalancesFromLedger(const LedgerSums& sums) {
  Balances b;
  b.budget = -Sum(sums, v1::LEDGER_ACCOUNT_FUNDING);
  b.available = Sum(sums, v1::LEDGER_ACCOUNT_AVAILABLE);
  b.reserved = Sum(sums, v1::LEDGER_ACCOUNT_RESERVED);
  b.in_payment = Sum(sums, v1::LEDGER_ACCOUNT_IN_PAYMENT);
  b.disbursed = Sum(sums, v1::LEDGER_ACCOUNT_DISBURSED);
  return b;
}

Reconciliation Reconcile(int64_t program_budget, const Balances& cached, const LedgerSums& sums) {
  Reconciliation r;
  r.cached = cached;
  r.ledger = BalancesFromLedger(sums);
  int64_t total = 0;
  for (const auto& [account, balance] : sums.by_account) {
    total += balance;
    if (account != v1::LEDGER_ACCOUNT_FUNDING && balance < 0) {
      r.problems.push_back(absl::StrCat("ledger account ", v1::LedgerAccount_Name(account), " is negative"));
    }
    if (!v1::LedgerAccount_IsValid(account) || account == v1::LEDGER_ACCOUNT_UNSPECIFIED) {
      r.problems.push_back(absl::StrCat("ledger holds entries of unknown account ", account));
    }
  }
  if (total != 0) r.problems.push_back("the ledger's accounts do not sum to zero");
  if (!IdentityHolds(r.ledger)) r.problems.push_back("ledger: budget != available + reserved + paid");
  if (!IdentityHolds(cached)) r.problems.push_back("cached: budget != available + reserved + paid");
  for (int64_t v : {cached.available, cached.reserved, cached.in_payment, cached.disbursed}) {
    if (v < 0) {
      r.problems.push_back("a cached balance is negative");
      break;
    }
  }
  if (!(cached == r.ledger)) r.problems.push_back("the cached balances differ from the ledger's sums");
  if (r.ledger.budget != program_budget) r.problems.push_back("the ledger's funding differs from the budget");
  r.balanced = r.problems.empty();
  return r;
}

}  // namespace shouhu::allowance
