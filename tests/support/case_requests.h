// A request about one registry case, as every case change is: its request id and the case.
#ifndef SHOUHU_TESTS_SUPPORT_CASE_REQUESTS_H_
#define SHOUHU_TESTS_SUPPORT_CASE_REQUESTS_H_

#include <string>

namespace shouhu::testing {

template <typename Request>
Request WithCase(const std::string& request_id, const std::string& case_id) {
  Request r;
  r.set_request_id(request_id);
  r.set_case_id(case_id);
  return r;
}

}  // namespace shouhu::testing

#endif  // SHOUHU_TESTS_SUPPORT_CASE_REQUESTS_H_
