# common/ additions: the token bucket (pure logic, injectable clock).
COMMON_SRCS += common/kgw_ratelimit.c
COMMON_UNIT_SRCS += tests/unit/test_kgw_ratelimit.c

# Number formatting for hot paths (pure).
COMMON_SRCS += common/kgw_fmt.c

# The replaceable allocator of the pure modules (tests inject failures).
COMMON_SRCS += common/kgw_alloc.c

# The one hand-off between threads (locked queue + uv_async_t or a condvar).
COMMON_SRCS += common/kgw_handoff.c
COMMON_UNIT_SRCS += tests/unit/test_kgw_handoff.c
