// An independent client in another language against a launched suite: Python's grpcio with
// stubs generated from proto/ and identity tokens it signs itself
// (tests/clients/python/client_check.py, which says what it checks). Debian's python3 is named
// by its path: its grpcio and cryptography are Debian's packages (tools/install-deps.sh), which
// another python3 earlier on the PATH (a virtualenv, pyenv) would not see.
#include <string>

#include "gtest/gtest.h"
#include "launched_suite.h"

namespace itsm {
namespace {

const std::string kSource = ITSM_SOURCE_DIR;

TEST(PythonClient, CallsTheServicesDirectlyAsTheDocsPromise) {
  testing::LaunchedSuite suite({"configuration", "incident"});
  ASSERT_NO_FATAL_FAILURE(suite.Start());
  std::string out;
  const int code =
      testing::RunTool({"/usr/bin/python3", kSource + "/tests/clients/python/client_check.py",
                        "--endpoints", suite.endpoints_file(), "--proto-dir", kSource + "/proto",
                        "--googleapis", ITSM_GOOGLEAPIS_DIR},
                       suite.File("client_check.log"), &out);
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("every check passed"), std::string::npos) << out;
  EXPECT_EQ(suite.Stop(), 0);
}

}  // namespace
}  // namespace itsm
