// check_model: every layer under every policy, findings gathered per channel.
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <set>

#include "channel_scans.hpp"
#include "quantcheck/model/check.hpp"
#include "quantcheck/model/tensor_data.hpp"

namespace quantcheck::model {
namespace {

void add_unique(std::vector<std::string>& v, const std::string& s) {
  if (std::find(v.begin(), v.end(), s) == v.end()) v.push_back(s);
}

// Max |w| per channel.
std::vector<float> channel_max_abs(const Case& c, const Layout& l) {
  std::vector<float> m(static_cast<std::size_t>(l.channels), 0.0f);
  for_each_channel_run(c, l, [&](std::int64_t ch, std::size_t begin, std::size_t end) {
    float& mc = m[static_cast<std::size_t>(ch)];
    mc = max_abs_run(c.weights.data() + begin, end - begin, mc);
  });
  return m;
}

// Makes a large scratch buffer resident up front, in one system call.
// Touching it the first time was a page fault per 4 KiB page (about half of a
// `check --policy NAME` process's time on MobileNetV2, each fault a trap into
// the kernel). The advice covers every page the buffer touches, rounded out to
// 4 KiB: glibc serves a large block from its own mapping, so the rounded range
// is that mapping and transparent huge pages can back all of it (the older
// advice kept to the 2 MiB-aligned interior, which a 1.6 MiB buffer does not
// have). MADV_POPULATE_WRITE then maps the pages in one call instead of one
// fault each. Advice only: where THP or POPULATE_WRITE (Linux 5.14) is
// missing, the call fails and the pages fault in as before.
template <typename T>
void prefault(const std::vector<T>& v) {
  if (v.capacity() * sizeof(T) < (std::size_t{1} << 20)) return;  // malloc's heap: leave it
  const auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
  const auto begin = reinterpret_cast<std::uintptr_t>(v.data()) & ~(page - 1);
  const std::uintptr_t end =
      (reinterpret_cast<std::uintptr_t>(v.data()) + v.capacity() * sizeof(T) + page - 1) &
      ~(page - 1);
  ::madvise(reinterpret_cast<void*>(begin), static_cast<std::size_t>(end - begin), MADV_HUGEPAGE);
#ifdef MADV_POPULATE_WRITE
  ::madvise(reinterpret_cast<void*>(begin), static_cast<std::size_t>(end - begin),
            MADV_POPULATE_WRITE);
#endif
}

// r is scratch space, reused from layer to layer and policy to policy.
LayerPolicyResult check_policy(const Policy& p, const Case& c, const Layout& l,
                               const std::vector<float>& max_abs, Result& r) {
  // As quantize(p, c, r), without the dequantized copy (the error is taken
  // from q below) and without validating c again (l is validate(c)).
  if (const Refusal why = quantize_unless_refused(p, c, l, r, WeightOutputs::integers_only))
    throw InputError(describe(why, p, c, r.layout));
  LayerPolicyResult out;
  out.policy = p.name;
  const bool per_tensor = r.weights.channels.size() == 1 && l.channels != 1;
  auto params_of = [&](std::int64_t ch) -> const ChannelParams& {
    return r.weights.channels[per_tensor ? 0 : static_cast<std::size_t>(ch)];
  };

  // Dead channels: some weight is not zero, every integer is the zero point.
  std::vector<char> nonzero_q(static_cast<std::size_t>(l.channels), 0);
  for_each_channel_run(c, l, [&](std::int64_t ch, std::size_t begin, std::size_t end) {
    const ChannelParams& cp = params_of(ch);
    const RunError e = run_error(c.weights.data() + begin, r.weights.q.data() + begin, end - begin,
                                 cp.zero_point, double(cp.scale), out.max_weight_error);
    if (e.nonzero) nonzero_q[static_cast<std::size_t>(ch)] = 1;
    out.max_weight_error = e.max_error;
  });
  for (std::size_t ch = 0; ch < r.bias.dequantized.size(); ++ch)
    out.max_bias_error =
        std::max(out.max_bias_error, std::fabs(r.bias.dequantized[ch] - double(c.bias[ch])));

  // Notes per channel: findings, dead or tiny channels.
  std::vector<ChannelNote> notes(static_cast<std::size_t>(l.channels));
  std::vector<char> noted(static_cast<std::size_t>(l.channels), 0);
  for (std::int64_t ch = 0; ch < l.channels; ++ch) {
    const auto i = static_cast<std::size_t>(ch);
    const bool dead = max_abs[i] > 0 && !nonzero_q[i];
    out.dead_channels += dead;
    if (dead || max_abs[i] < kTinyWeight) noted[i] = 1;
    notes[i].dead = dead;
    notes[i].tiny = max_abs[i] < kTinyWeight;
  }
  std::set<std::pair<std::int64_t, FindingKind>> seen;
  for (const Finding& f : r.findings) {
    if (f.kind == FindingKind::weight_clipped) continue;  // informational
    const std::int64_t ch = f.tensor == "weights" ? (f.element / l.inner) % l.channels
                            : (f.tensor == "weight_scale" && per_tensor) ? 0
                                                                         : f.channel;
    if (ch < 0 || ch >= l.channels) continue;
    const auto i = static_cast<std::size_t>(ch);
    noted[i] = 1;
    if (seen.insert({ch, f.kind}).second) {
      add_unique(notes[i].findings, to_string(f.kind));
      switch (f.kind) {
        case FindingKind::bias_saturated: ++out.saturated_biases; break;
        case FindingKind::bias_sign_flipped: ++out.sign_flipped_biases; break;
        case FindingKind::invalid_scale: ++out.invalid_scales; break;
        case FindingKind::no_headroom: ++out.no_headroom; break;
        default: break;
      }
    }
    if (f.kind == FindingKind::weight_sign_flipped) ++out.sign_flipped_weights;
    if (breaks_declared(f, p.guarantees)) {
      add_unique(notes[i].broken, guarantee_broken_by(f.kind));
      add_unique(out.broken, guarantee_broken_by(f.kind));
    }
  }

  // The smallest input scale per channel; the layer needs the largest of them.
  for (std::int64_t ch = 0; ch < l.channels; ++ch) {
    const auto i = static_cast<std::size_t>(ch);
    const double s =
        c.bias.empty() ? kLeastInputScale : min_input_scale(p, c, l, ch, params_of(ch));
    if (s > out.min_input_scale || out.min_input_scale_channel < 0) {
      if (s > out.min_input_scale) out.min_input_scale = s;
      if (s >= out.min_input_scale) out.min_input_scale_channel = ch;
    }
    if (!noted[i]) continue;
    ChannelNote& n = notes[i];
    n.channel = ch;
    n.max_abs_weight = max_abs[i];
    n.weight_scale = params_of(ch).scale;
    if (!c.bias.empty()) {
      n.bias = c.bias[i];
      n.bias_q = r.bias.q[i];
      n.bias_dequantized = r.bias.dequantized[i];
    }
    n.min_input_scale = s;
    out.channels.push_back(std::move(n));
  }
  return out;
}

}  // namespace

bool CheckReport::broken() const {
  for (const PolicySummary& s : summaries)
    if (!s.broken.empty()) return true;
  return false;
}

CheckReport check_model(const ModelFile& m, const CheckOptions& options) {
  const auto layers = find_layers(m);
  std::size_t largest = 0;
  for (const Layer& layer : layers) {
    std::size_t n = 1;
    for (const std::int64_t d : layer.filter_shape) n *= static_cast<std::size_t>(d);
    // Bounded by the bytes in the file: a tensor of a type read_floats
    // refuses may claim billions of elements (fuzz_model).
    const auto bytes = m.tensor_data(m.tensor(layer.subgraph, layer.filter.data_tensor)).size();
    largest = std::max(largest, std::min(n, bytes));
  }
  return check_layers(
      m.path(), m.format(), layers,
      [&m](const Layer& layer, Case& c) {
        c.weight_shape = layer.filter_shape;
        read_floats_into(m, m.tensor(layer.subgraph, layer.filter.data_tensor), "filter",
                         c.weights);
        c.bias = bias_values(m, layer);
      },
      options, largest);
}

CheckReport check_layers(const std::string& path, Format format, const std::vector<Layer>& layers,
                         const LoadLayer& load, const CheckOptions& options,
                         std::size_t largest_filter) {
  CheckReport report;
  report.path = path;
  report.format = format;
  report.input_scale = options.input_scale;
  for (const Policy& p : options.policies) {
    PolicySummary s;
    s.policy = p.name;
    report.summaries.push_back(s);
  }

  // One case and one result, reused from layer to layer and policy to
  // policy, sized for the largest layer up front: fresh multi-megabyte vectors
  // per layer cost zero-filling, page faults and copies on growth (most of a
  // `check --policy NAME` process's time before).
  Result scratch;
  scratch.weights.q.reserve(largest_filter);
  Case c;
  c.weights.reserve(largest_filter);
  prefault(scratch.weights.q);
  prefault(c.weights);
  for (const Layer& layer : layers) {
    load(layer, c);
    c.op = layer.kind;
    c.input_scale = options.input_scale;
    LayerCheck lc;
    lc.layer = layer;
    Layout l;
    try {
      l = validate(c);
    } catch (const InputError& e) {
      throw ModelError(path + ": layer '" + layer.name + "' (operator " +
                       std::to_string(layer.op_index) + "): " + e.what());
    }
    const auto max_abs = channel_max_abs(c, l);
    lc.channels = l.channels;
    lc.smallest_max_abs_weight =
        max_abs.empty() ? 0 : *std::min_element(max_abs.begin(), max_abs.end());
    for (const float a : max_abs) {
      lc.zero_channels += a == 0;
      lc.tiny_channels += a < kTinyWeight;
    }
    report.channels += lc.channels;
    report.zero_channels += lc.zero_channels;
    report.tiny_channels += lc.tiny_channels;

    for (std::size_t pi = 0; pi < options.policies.size(); ++pi) {
      LayerPolicyResult r = check_policy(options.policies[pi], c, l, max_abs, scratch);
      PolicySummary& s = report.summaries[pi];
      const bool any = r.saturated_biases || r.sign_flipped_biases || r.sign_flipped_weights ||
                       r.dead_channels || r.invalid_scales || r.no_headroom || !r.broken.empty();
      s.layers_with_findings += any;
      s.saturated_biases += r.saturated_biases;
      s.sign_flipped_biases += r.sign_flipped_biases;
      s.sign_flipped_weights += r.sign_flipped_weights;
      s.dead_channels += r.dead_channels;
      s.invalid_scales += r.invalid_scales;
      s.max_weight_error = std::max(s.max_weight_error, r.max_weight_error);
      s.max_bias_error = std::max(s.max_bias_error, r.max_bias_error);
      if (r.min_input_scale > s.min_input_scale || s.min_input_scale_layer.empty()) {
        s.min_input_scale = std::max(s.min_input_scale, r.min_input_scale);
        if (r.min_input_scale >= s.min_input_scale) s.min_input_scale_layer = layer.name;
      }
      for (const std::string& g : r.broken) add_unique(s.broken, g);
      lc.results.push_back(std::move(r));
    }
    report.layers.push_back(std::move(lc));
    if (options.progress)
      options.progress(static_cast<int>(report.layers.size()), static_cast<int>(layers.size()));
  }
  return report;
}

}  // namespace quantcheck::model
