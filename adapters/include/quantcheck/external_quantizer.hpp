// An external adapter as a quantizer under test (properties/ interface): the
// property suite, `quantcheck audit` and a user's own gtest run every property
// against a quantizer in another process exactly as against our presets,
// shrinking included (each shrink step is one more request to the adapter).
//
//   auto adapter = std::make_shared<quantcheck::ExternalAdapter>("python3 my_adapter.py");
//   for (auto& q : quantcheck::external_quantizers(adapter))
//     for (const auto& p : quantcheck::properties())
//       if (quantcheck::is_declared(p, q->guarantees()))
//         EXPECT_FALSE(quantcheck::run_property(p, *q, {}).found) << p.name;
#pragma once

#include <memory>
#include <vector>

#include "quantcheck/external_adapter.hpp"
#include "quantcheck/quantizer_under_test.hpp"

namespace quantcheck {

// The contract a mode declares (its handshake entry).
Contract contract_of(const AdapterInfo& info, const AdapterMode& mode);

// One mode of an external adapter. quantize() throws InputError when the
// adapter rejects the case and AdapterError on a protocol failure (malformed,
// late or missing response; the adapter is restarted for the next case).
class ExternalQuantizer : public QuantizerUnderTest {
 public:
  ExternalQuantizer(std::shared_ptr<ExternalAdapter> adapter, AdapterMode mode);
  Contract contract() const override { return contract_; }
  Result quantize(const Case& c) const override;
  ExternalAdapter& adapter() const { return *adapter_; }
  const AdapterMode& mode() const { return mode_; }

 private:
  std::shared_ptr<ExternalAdapter> adapter_;  // shared by the modes of one process
  AdapterMode mode_;
  Contract contract_;
};

// One quantizer per mode the adapter's handshake lists, in its order.
std::vector<std::unique_ptr<ExternalQuantizer>> external_quantizers(
    const std::shared_ptr<ExternalAdapter>& adapter);

}  // namespace quantcheck
