-- Re-key orders by customer, so that "every order of a customer" is a single
-- Query instead of a scan.
--
--   before: pk = "ORDER#<id>"
--   after:  pk = "CUST#<customerId>", sk = "ORDER#<id>"
--           status renamed to orderStatus
--           itemCount derived: the number of line items
--
-- Everything else (totals with all their digits, tags, addresses, ...) is
-- not touched, so it is copied exactly.
return {
  description = "Key orders by customer",
  key_schema = { hash = "pk", range = "sk" },

  up = function(item, ctx)
    local order = item.pk:match("^ORDER#(.+)$")
    if order == nil then
      error("not an order key: " .. item.pk)
    end
    if type(item.customerId) ~= "string" then
      error("order " .. order .. " has no customerId")
    end
    item.pk = "CUST#" .. item.customerId
    item.sk = "ORDER#" .. order
    item.orderStatus = item.status
    item.status = nil
    local lines = item.items
    item.itemCount = godwit.type(lines) == "L" and #lines or 0
    return item
  end,

  -- The exact inverse: used to keep the old table in step after cutover, so
  -- that a rollback loses no write.
  down = function(item, ctx)
    local order = item.sk:match("^ORDER#(.+)$")
    if order == nil then
      error("not a re-keyed order: sk = " .. item.sk)
    end
    item.pk = "ORDER#" .. order
    item.sk = nil
    item.status = item.orderStatus
    item.orderStatus = nil
    item.itemCount = nil
    return item
  end,

  validate = function(item)
    if not item.pk:find("^CUST#") then
      return false, "pk must start with CUST#"
    end
    if item.sk == nil then
      return false, "missing sk"
    end
    return true
  end,
}
