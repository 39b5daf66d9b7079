//! The module's memory on `/metrics`, read at each scrape: how large its linear memory
//! is (it grows and never shrinks, so this is what the process keeps), whether it is
//! exhausted (writes refused, see [`crate::headroom`]) and how often the reserve was
//! spent. Natively there is no linear memory and only the headroom figures are shown.

use std::fmt;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::DescriptorEncoder;
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::MetricType;

use super::store_figures::single;
use crate::headroom;

/// Encodes `edge_service_module_memory_bytes` (Wasm only), `edge_service_memory_exhausted`
/// and `edge_service_memory_reserve_spent_total`.
#[derive(Debug, Default)]
pub struct MemoryFiguresCollector;

/// The size of the module's linear memory in bytes, where there is one.
fn linear_memory_bytes() -> Option<u64> {
    #[cfg(target_arch = "wasm32")]
    {
        let pages = core::arch::wasm32::memory_size(0) as u64;
        Some(pages.saturating_mul(64 * 1024))
    }
    #[cfg(not(target_arch = "wasm32"))]
    None
}

impl Collector for MemoryFiguresCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), fmt::Error> {
        if let Some(bytes) = linear_memory_bytes() {
            let help = "Size of the module's linear memory in bytes (it never shrinks)";
            single(&mut encoder, "module_memory_bytes", help, MetricType::Gauge, ConstGauge::new(bytes))?;
        }
        let exhausted = ConstGauge::new(u64::from(headroom::ALLOCATOR.is_low()));
        let help = "1 while memory is exhausted and writes are refused with 507, else 0";
        single(&mut encoder, "memory_exhausted", help, MetricType::Gauge, exhausted)?;
        let spent = ConstCounter::new(headroom::ALLOCATOR.times_spent());
        let help = "Times an allocation did not fit and the memory reserve was spent";
        single(&mut encoder, "memory_reserve_spent", help, MetricType::Counter, spent)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::telemetry::{Metrics, MetricsFormat};

    #[test]
    fn the_headroom_figures_are_on_every_scrape() {
        let text = Metrics::new("memory").encode(MetricsFormat::Prometheus).expect("encode");
        assert!(text.lines().any(|line| line == "edge_service_memory_exhausted 0"), "{text}");
        assert!(text.lines().any(|line| line == "edge_service_memory_reserve_spent_total 0"), "{text}");
    }
}
