#include "quantcheck/external_quantizer.hpp"

namespace quantcheck {

Contract contract_of(const AdapterInfo& info, const AdapterMode& mode) {
  Contract k;
  k.name = info.name + ":" + mode.name;
  k.weight_type = mode.weight_type;
  k.scheme = mode.scheme;
  k.granularity = mode.granularity;
  k.qmin = mode.qmin;
  k.qmax = mode.qmax;
  k.bias_type = mode.bias_type;
  k.activation_abs_max = mode.activation_abs_max;
  k.scale_floor = mode.scale_floor;
  k.guarantees = mode.guarantees;
  return k;
}

ExternalQuantizer::ExternalQuantizer(std::shared_ptr<ExternalAdapter> adapter, AdapterMode mode)
    : adapter_(std::move(adapter)),
      mode_(std::move(mode)),
      contract_(contract_of(adapter_->info(), mode_)) {}

Result ExternalQuantizer::quantize(const Case& c) const { return adapter_->quantize(c, mode_); }

std::vector<std::unique_ptr<ExternalQuantizer>> external_quantizers(
    const std::shared_ptr<ExternalAdapter>& adapter) {
  std::vector<std::unique_ptr<ExternalQuantizer>> out;
  for (const AdapterMode& m : adapter->info().modes)
    out.push_back(std::make_unique<ExternalQuantizer>(adapter, m));
  return out;
}

}  // namespace quantcheck
