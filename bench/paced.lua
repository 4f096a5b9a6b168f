-- wrk script: latency at a fixed offered load rather than at saturation. Each connection waits
-- DELAY_MS milliseconds between a response and its next request, so N connections offer at most
-- N * 1000 / DELAY_MS requests a second whatever the server's speed; servers compared at the same
-- load are compared on their latency alone (at saturation, the faster server also saturates the
-- single wrk thread, whose own queueing then shows up in its latency figures).
local d = tonumber(os.getenv("DELAY_MS") or "2")
delay = function() return d end
done = function(summary, latency, requests)
  local out = string.format("requests=%d", summary.requests)
  for _, p in pairs({50, 90, 99, 99.9}) do
    out = out .. string.format(" p%s=%.2f", p, latency:percentile(p) / 1000)
  end
  io.write(out .. string.format(" max=%.1f errors=%d\n", latency.max / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status + summary.errors.timeout))
end
