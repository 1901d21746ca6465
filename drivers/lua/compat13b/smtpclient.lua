-- The manual's SMTP functions (spec §13) over LuaSocket 3's control
-- connection (socket.tp, read as control.lua does).
--
--   smtp_mail(from, rcpt, headers, body, server) -> nil, or the error
--   mail{to=, from=, subject=, message=, cc=, bcc=, mailserver=} -> the same
--
-- LuaSocket 3's socket.smtp.send is not used: it greets with EHLO, and its
-- message builder adds date, mime-version and x-mailer headers; 1.3b said
-- HELO and sent the caller's headers only. The dialogue (RFC 821):
--
--   (greeting) 220; HELO <domain> 250 (SERVER_NAME, else "localhost");
--   MAIL FROM:<from> 250; RCPT TO:<addr> 250/251 each; DATA 354;
--   <message> 250; QUIT (its answer read, not judged)
--
-- The message is the headers ("Name: value" each, names as given), an empty
-- line and the body, with every line ending (CRLF, LF or CR) sent as CRLF
-- and every line starting with "." given a second one, the first included
-- (1.3b did neither for the first line or bare LFs), then "." CRLF. The
-- port is 25 (the manual fixes it); `server` is a host. Each wait is limited
-- to 180 s. After a refused reply the client still says QUIT. An empty
-- recipient list is "no recipients" (1.3b reported success unsent), and a
-- control character in an address, header or the HELO domain is refused
-- before connecting.

local args = require("compat13b.args")
local control = require("compat13b.control")

local find, gsub, sub = string.find, string.gsub, string.sub
local type, pairs, ipairs, rawget = type, pairs, ipairs, rawget

local M = {}

M.PORT = 25
M.WAIT = 180

local CONTROL = "[%z\1-\31\127]"
local CONTROL_EXCEPT_TAB = "[%z\1-\8\10-\31\127]"
local HEADER_NAME = "^[\33-\57\59-\126\128-\255]+$"

local READY, OK, RECIPIENT_OK, START_DATA = control.codes(220), control.codes(250), control.codes(250, 251),
  control.codes(354)

-- The message that follows DATA, or nil, message.
local function message_data(headers, body)
  local lines = {}
  for _, pair in ipairs(headers) do
    local name, value = pair[1], pair[2]
    if find(name .. value, CONTROL_EXCEPT_TAB) then
      return nil, "invalid character in header"
    end
    if not find(name, HEADER_NAME) then
      return nil, "invalid header name"
    end
    lines[#lines + 1] = name .. ": " .. value .. "\r\n"
  end
  local text = table.concat(lines) .. "\r\n" .. body
  text = gsub(gsub(gsub(text, "\r\n", "\n"), "\r", "\n"), "\n", "\r\n")
  text = gsub(text, "\r\n%.", "\r\n..")
  if sub(text, 1, 1) == "." then
    text = "." .. text
  end
  if sub(text, -2) ~= "\r\n" then
    text = text .. "\r\n"
  end
  return text .. ".\r\n"
end

local function helo_domain()
  local domain = os.getenv("SERVER_NAME")
  if domain == nil or domain == "" then
    domain = "localhost"
  end
  if find(domain, CONTROL) or find(domain, " ", 1, true) then
    return nil, "invalid character in HELO domain"
  end
  return domain
end

-- Deliver one message; nil, or the error.
local function send_message(sender, recipients, headers, body, server)
  local domain, problem = helo_domain()
  if not domain then
    return problem
  end
  for _, address in ipairs({ sender, (table.unpack or unpack)(recipients) }) do
    if find(address, CONTROL) then
      return "invalid character in address"
    end
  end
  if #recipients == 0 then
    return "no recipients"
  end
  local data
  data, problem = message_data(headers, body)
  if not data then
    return problem
  end
  local conn, err = control.connect(server, M.PORT, M.WAIT)
  if not conn then
    return err
  end
  local steps = { { nil, READY }, { "HELO " .. domain, OK }, { "MAIL FROM:<" .. sender .. ">", OK } }
  for _, address in ipairs(recipients) do
    steps[#steps + 1] = { "RCPT TO:<" .. address .. ">", RECIPIENT_OK }
  end
  steps[#steps + 1] = { "DATA", START_DATA }
  steps[#steps + 1] = { data, OK, raw = true }
  for _, step in ipairs(steps) do
    local ok, dead
    if step[1] == nil then
      ok, err, dead = control.expect(conn, step[2])
    elseif step.raw then
      ok, err = conn:getcontrol():send(step[1])
      if ok then
        ok, err, dead = control.expect(conn, step[2])
      else
        dead = true
      end
    else
      ok, err, dead = control.command(conn, step[1], step[2])
    end
    if not ok then
      if not dead then
        control.quit(conn)
      end
      conn:close()
      return err
    end
  end
  control.quit(conn)
  conn:close()
  return nil
end

-- Recipients: an array table (its items 1..n), or one address.
local function recipients_of(value, present)
  local kind = type(value)
  if kind == "string" or kind == "number" then
    return { args.check_text(value, true) }
  elseif kind ~= "table" then
    args.raise("table expected for rcpt, got " .. args.type_name(value, present))
  end
  local list = {}
  while rawget(value, #list + 1) ~= nil do
    list[#list + 1] = args.check_text(rawget(value, #list + 1), true)
  end
  return list
end

-- Header table -> list of {name, value} (pairs order: a Lua table has no other).
local function header_list(value)
  local list = {}
  if value == nil then
    return list
  end
  if type(value) ~= "table" then
    args.raise("table expected for headers, got " .. type(value))
  end
  for name, item in pairs(value) do
    if type(name) ~= "string" then
      args.raise("string expected for header name, got " .. type(name))
    end
    list[#list + 1] = { name, args.check_text(item, true) }
  end
  return list
end

--- smtp_mail(from, rcpt, headers, body, server): nil, or the error.
function M.smtp_mail(...)
  local n = args.count(...)
  local sender, rcpt, headers, body, server = ...
  sender = args.check_text(sender, n >= 1)
  local recipients = recipients_of(rcpt, n >= 2)
  local list = header_list(headers)
  body = body ~= nil and args.check_data(body, true) or ""
  server = args.check_text(server, n >= 5)
  return send_message(sender, recipients, list, body, server)
end

-- The addresses a mail{} field names: split at commas; an item with
-- "<address>" stands for that address, others split at whitespace.
local function split_addresses(field)
  local addresses = {}
  for item in (field .. ","):gmatch("([^,]*),") do
    local bracketed = item:match("<([^<>]*)>")
    if bracketed then
      bracketed = bracketed:match("^%s*(.-)%s*$")
      if bracketed ~= "" then
        addresses[#addresses + 1] = bracketed
      end
    else
      for word in item:gmatch("%S+") do
        addresses[#addresses + 1] = word
      end
    end
  end
  return addresses
end

local function required(fields, name)
  local value = fields[name]
  if value == nil then
    args.raise("mail: field '" .. name .. "' is required")
  end
  return args.check_text(value, true)
end

local function optional(fields, name)
  local value = fields[name]
  return value ~= nil and args.check_text(value, true) or nil
end

--- mail{to=, from=, subject=, message=, cc=, bcc=, mailserver=} (CGILua 3.2).
function M.mail(...)
  local fields = ...
  if type(fields) ~= "table" then
    args.raise("table expected for mail, got " .. args.type_name(fields, args.count(...) >= 1))
  end
  local to, sender, server = required(fields, "to"), required(fields, "from"), required(fields, "mailserver")
  local cc, bcc, subject = optional(fields, "cc"), optional(fields, "bcc"), optional(fields, "subject")
  local recipients = split_addresses(to)
  for _, field in ipairs({ cc or "", bcc or "" }) do
    for _, address in ipairs(split_addresses(field)) do
      recipients[#recipients + 1] = address
    end
  end
  local headers = { { "To", to }, { "From", sender } }
  if cc then
    headers[#headers + 1] = { "Cc", cc }
  end
  if subject then
    headers[#headers + 1] = { "Subject", subject }
  end
  local body = fields.message ~= nil and args.check_data(fields.message, true) or ""
  return send_message(sender, recipients, headers, body, server)
end

return M
