/**
 * fengari reads its build options from the environment when it is first
 * loaded; this module, imported before it, asks for Lua 5.1's number
 * printing (`LUA_COMPAT_FLOATSTRING`: 3.0 prints as `3`, not `3.0`), which
 * scripts written for Redis's Lua 5.1 depend on when they concatenate numbers.
 */
process.env['FENGARICONF'] = JSON.stringify({ LUA_COMPAT_FLOATSTRING: true });
