local n = tonumber(arg[1]) or 20000
local names = {"alpha", "beta", "gamma", "delta", "eps", "zeta", "eta", "theta", "iota", "kappa"}
local cities = {"oslo", "rome", "lima", "kyiv", "baku", "doha", "riga"}
local seed = 7
local lines = {}
for i = 1, n do
  seed = (seed * 16807) % 2147483647
  local a = names[seed % 10 + 1]
  local b = cities[(seed // 10) % 7 + 1]
  local c = (seed // 70) % 100
  lines[#lines + 1] = a .. "," .. b .. "," .. tostring(c)
end
local text = table.concat(lines, "\n")
local byname, pairs_, total = {}, {}, 0
local nb, np = 0, 0
for line in string.gmatch(text, "[^\n]+") do
  local f = {}
  for x in string.gmatch(line, "[^,]+") do f[#f + 1] = x end
  if byname[f[1]] == nil then nb = nb + 1 end
  byname[f[1]] = (byname[f[1]] or 0) + 1
  local key = f[2] .. ":" .. f[3]
  if pairs_[key] == nil then np = np + 1 end
  pairs_[key] = (pairs_[key] or 0) + 1
  total = total + tonumber(f[3])
end
local ks = {}
for k in pairs(pairs_) do ks[#ks + 1] = k end
table.sort(ks)
local joined = table.concat(ks, ";")
local longest = 0
for p in string.gmatch(joined, "[^;]+") do if #p > longest then longest = #p end end
print(nb, np, total, longest, byname["alpha"])
