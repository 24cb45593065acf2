// gkd_emulation.cpp — the runtime behind gkd_emulation.h: block scheduling over coroutines, __syncthreads, warp
// operations, traps, and the pool of OS threads that runs a grid's blocks in parallel. Compiled once per emulation
// header version into an object that every kernel library links (see EmulationBuild.cs).
//
// Per OS thread, an Executor owns 1024 coroutine stacks (each below a PROT_NONE guard page, committed on first use;
// a thread holds one only from its start to its exit) and the dynamic shared memory. A block runs on one Executor: the scheduler resumes its live threads round-robin;
// a thread runs until it waits (barrier, warp operation), traps, or returns. A barrier completes when every
// non-exited thread of the block has arrived; a warp operation when every non-exited lane of the warp has. A full
// round in which no thread makes progress is a deadlock and fails the launch.
#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <sys/mman.h>
#include <unistd.h>

#if !defined(__x86_64__) || defined(GKD_EMU_UCONTEXT)
#define GKD_EMU_USE_UCONTEXT 1
#include <ucontext.h>
#endif

#include "gkd_emulation.h"

#if !GKD_EMU_USE_UCONTEXT
// void gkd_emu_switch_stack(void** save_sp, void* load_sp): pushes the System V callee-saved registers, stores the
// stack pointer to *save_sp, loads load_sp, pops the registers saved there and returns into that context.
asm(R"(
    .text
    .p2align 4
    .globl gkd_emu_switch_stack
    .hidden gkd_emu_switch_stack
    .type gkd_emu_switch_stack, @function
gkd_emu_switch_stack:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
    .size gkd_emu_switch_stack, .-gkd_emu_switch_stack
)");
extern "C" void gkd_emu_switch_stack(void** save_sp, void* load_sp);
#endif

namespace gkd_emu {

thread_local const Index3* t_thread_idx;
thread_local BlockIndices t_block;

namespace {

constexpr unsigned kMaxBlockThreads = 1024;
constexpr unsigned kMaxWarps = kMaxBlockThreads / 32;

unsigned env_unsigned(const char* name, unsigned fallback, unsigned lo, unsigned hi)
{
    const char* text = std::getenv(name);
    if (text == nullptr || *text == '\0') return fallback;
    unsigned long v = std::strtoul(text, nullptr, 10);
    return v < lo ? lo : v > hi ? hi : (unsigned)v;
}

// ---- Coroutine contexts ------------------------------------------------------------------------------------------

#if GKD_EMU_USE_UCONTEXT
struct Context
{
    ucontext_t uc;
};

void switch_context(Context& save, Context& load) { swapcontext(&save.uc, &load.uc); }

void make_context(Context& c, char* stack, std::size_t size, void (*entry)())
{
    getcontext(&c.uc);
    c.uc.uc_stack.ss_sp = stack;
    c.uc.uc_stack.ss_size = size;
    c.uc.uc_link = nullptr;
    makecontext(&c.uc, entry, 0);
}
#else
struct Context
{
    void* sp;
};

void switch_context(Context& save, Context& load) { gkd_emu_switch_stack(&save.sp, load.sp); }

// A fresh stack that gkd_emu_switch_stack "returns" into: six zeroed registers, then entry, which starts with the
// stack aligned as after a call (its own return address is null: entry never returns).
void make_context(Context& c, char* stack, std::size_t size, void (*entry)())
{
    auto top = (reinterpret_cast<std::uintptr_t>(stack) + size) & ~std::uintptr_t{15};
    void** sp = reinterpret_cast<void**>(top);
    *--sp = nullptr;
    *--sp = reinterpret_cast<void*>(entry);
    for (int i = 0; i < 6; ++i) *--sp = nullptr;
    c.sp = sp;
}
#endif

// ---- Per-OS-thread executor --------------------------------------------------------------------------------------

struct Job
{
    void (*invoke)(const void*);
    const void* ctx;
    Index3 grid, block;
    std::size_t dynamic_bytes;
    unsigned long long blocks;
    std::atomic<unsigned long long> next{0};
    std::atomic<bool> failed{false};
    std::mutex failure_mutex;
    std::string failure;

    void fail(const std::string& message)
    {
        std::lock_guard<std::mutex> lock(failure_mutex);
        if (!failed.exchange(true)) failure = message;
    }
};

struct EmuThread
{
    Context ctx;
    Index3 idx;
    unsigned lane, warp, stack;
    bool started, done;
};

// One warp's meeting point. Operation g writes slot g & 1; a lane reads its result there after the operation
// completes, and slot g & 1 is only reused by operation g + 2, which cannot start before every lane has read.
struct Warp
{
    unsigned live, arrived, generation;
    unsigned written[2];
    unsigned values[2][32];
};

class Executor
{
public:
    Executor()
    {
        long page = sysconf(_SC_PAGESIZE);
        page_ = page > 0 ? (std::size_t)page : 4096;
        std::size_t kib = env_unsigned("GKD_EMU_STACK_KIB", 64, 16, 1u << 20);
        stack_bytes_ = (kib * 1024 + page_ - 1) / page_ * page_;
        stride_ = stack_bytes_ + page_;
        void* region = mmap(nullptr, stride_ * kMaxBlockThreads, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
            -1, 0);
        region_ = region == MAP_FAILED ? nullptr : static_cast<char*>(region);
    }

    ~Executor()
    {
        if (region_ != nullptr) munmap(region_, stride_ * kMaxBlockThreads);
        std::free(dynamic_);
    }

    Executor(const Executor&) = delete;
    Executor& operator=(const Executor&) = delete;

    // Makes stacks for the job's block size and room for its dynamic shared memory; false with the reason on failure.
    bool prepare(const Job& job, std::string& error)
    {
        if (region_ == nullptr) {
            error = "cannot reserve coroutine stacks";
            return false;
        }
        unsigned n = job.block.x * job.block.y * job.block.z;
        for (; stacks_ready_ < n; ++stacks_ready_) {
            if (mprotect(stack(stacks_ready_), stack_bytes_, PROT_READ | PROT_WRITE) != 0) {
                error = "cannot commit coroutine stacks";
                return false;
            }
        }
        std::size_t want = job.dynamic_bytes < 64 ? 64 : job.dynamic_bytes;
        if (want > dynamic_capacity_) {
            std::free(dynamic_);
            dynamic_ = std::aligned_alloc(64, (want + 63) / 64 * 64);
            dynamic_capacity_ = dynamic_ == nullptr ? 0 : want;
            if (dynamic_ == nullptr) {
                error = "cannot allocate dynamic shared memory";
                return false;
            }
        }
        job_ = &job;
        return true;
    }

    bool run_block(Index3 block);

    // A thread takes a stack when it first runs and returns it when it exits, so threads that never wait all run
    // on the same warm stack. Stacks are coloured (their tops offset by slot × 64 bytes) so that waiting threads'
    // frames do not all fall into the same cache sets.
    void start(EmuThread& t, void (*entry)())
    {
        t.stack = free_stacks_[--free_count_];
        make_context(t.ctx, stack(t.stack), stack_bytes_ - (t.stack % 64) * 64, entry);
        t.started = true;
    }

    void release_stack(const EmuThread& t) { free_stacks_[free_count_++] = t.stack; }

    const Job* job_ = nullptr;
    std::unique_ptr<EmuThread[]> threads_{new EmuThread[kMaxBlockThreads]};
    Warp warps_[kMaxWarps];
    Context scheduler_;
    unsigned current_ = 0, live_ = 0;
    unsigned barrier_arrived_ = 0, barrier_generation_ = 0;
    bool progress_ = false, failed_ = false;
    std::string failure_;
    void* dynamic_ = nullptr;

private:
    char* stack(unsigned i) const { return region_ + (std::size_t)i * stride_ + page_; }

    char* region_ = nullptr;
    std::size_t page_, stack_bytes_, stride_;
    unsigned stacks_ready_ = 0;
    unsigned free_stacks_[kMaxBlockThreads];
    unsigned free_count_ = 0;
    std::size_t dynamic_capacity_ = 0;
};

thread_local Executor* t_exec;
thread_local char t_last_error[4096];

EmuThread& self(Executor& ex) { return ex.threads_[ex.current_]; }

void yield(Executor& ex) { switch_context(self(ex).ctx, ex.scheduler_); }

void complete_warp(Warp& w)
{
    ++w.generation;
    w.arrived = 0;
    w.written[w.generation & 1] = 0;
}

void complete_barrier(Executor& ex)
{
    ++ex.barrier_generation_;
    ex.barrier_arrived_ = 0;
}

std::string where(Executor& ex)
{
    const EmuThread& t = self(ex);
    const Index3& b = t_block.index;
    char text[160];
    std::snprintf(text, sizeof text, "block (%u, %u, %u), thread (%u, %u, %u)", b.x, b.y, b.z, t.idx.x, t.idx.y,
        t.idx.z);
    return text;
}

// Ends this thread's part in the block with a failure; the scheduler abandons the block and the launch fails.
[[noreturn]] void fail(Executor& ex, const char* message)
{
    ex.failed_ = true;
    ex.failure_ = std::string(message) + " in " + where(ex);
    switch_context(self(ex).ctx, ex.scheduler_);
    __builtin_unreachable();
}

[[noreturn]] void thread_exit(Executor& ex)
{
    EmuThread& t = self(ex);
    t.done = true;
    ex.release_stack(t);
    --ex.live_;
    ex.progress_ = true;
    Warp& w = ex.warps_[t.warp];
    w.live &= ~(1u << t.lane);
    if (w.arrived != 0 && w.arrived == w.live) complete_warp(w);
    if (ex.barrier_arrived_ != 0 && ex.barrier_arrived_ == ex.live_) complete_barrier(ex);
    switch_context(t.ctx, ex.scheduler_);
    __builtin_unreachable();
}

void thread_entry()
{
    Executor& ex = *t_exec;
    ex.job_->invoke(ex.job_->ctx);
    thread_exit(ex);
}

bool Executor::run_block(Index3 block)
{
    t_block.index = block;
    const unsigned bx = job_->block.x, by = job_->block.y, n = bx * by * job_->block.z;
    for (unsigned i = 0; i < n; ++i) {
        EmuThread& t = threads_[i];
        t.idx = Index3{i % bx, (i / bx) % by, i / (bx * by)};
        t.lane = i & 31u;
        t.warp = i >> 5;
        t.started = false;
        t.done = false;
        free_stacks_[i] = n - 1 - i;
    }
    free_count_ = n;
    for (unsigned w = 0; w < (n + 31) / 32; ++w) {
        unsigned lanes = n - 32 * w < 32 ? n - 32 * w : 32;
        warps_[w] = Warp{lanes == 32 ? 0xffffffffu : (1u << lanes) - 1u, 0, 0, {0, 0}, {}};
    }
    live_ = n;
    barrier_arrived_ = 0;
    barrier_generation_ = 0;
    failed_ = false;
    unsigned idle = 0;
    while (live_ != 0) {
        for (unsigned i = 0; i < n; ++i) {
            EmuThread& t = threads_[i];
            if (t.done) continue;
            current_ = i;
            progress_ = false;
            t_thread_idx = &t.idx;
            if (!t.started) start(t, thread_entry);
            switch_context(scheduler_, t.ctx);
            if (failed_) return false;
            if (progress_) {
                idle = 0;
            } else if (++idle >= live_) {
                unsigned waiting_warps = 0;
                for (unsigned w = 0; w < (n + 31) / 32; ++w) waiting_warps += warps_[w].arrived != 0;
                char text[320];
                std::snprintf(text, sizeof text,
                    "deadlock in block (%u, %u, %u): %u live threads, %u of them at __syncthreads, lanes of %u warps "
                    "at a warp operation; neither can complete (a barrier or warp operation in divergent code?)",
                    block.x, block.y, block.z, live_, barrier_arrived_, waiting_warps);
                failure_ = text;
                return false;
            }
        }
    }
    return true;
}

void run_blocks(Job& job, Executor& ex)
{
    std::string error;
    if (!ex.prepare(job, error)) {
        job.fail(error);
        return;
    }
    t_exec = &ex;
    t_block.dim = job.block;
    t_block.grid = job.grid;
    const unsigned long long gx = job.grid.x, gxy = gx * job.grid.y;
    while (!job.failed.load(std::memory_order_relaxed)) {
        unsigned long long b = job.next.fetch_add(1, std::memory_order_relaxed);
        if (b >= job.blocks) break;
        Index3 idx{(unsigned)(b % gx), (unsigned)(b % gxy / gx), (unsigned)(b / gxy)};
        if (!ex.run_block(idx)) {
            job.fail(ex.failure_);
            break;
        }
    }
    t_exec = nullptr;
    t_thread_idx = nullptr;
}

// The OS threads a library's launches share: the caller runs blocks too, helped by up to GKD_EMU_THREADS - 1
// workers. Launches are serialised; the pool stops and joins its workers when the library is unloaded.
class Pool
{
public:
    Pool() : size_(env_unsigned("GKD_EMU_THREADS", std::max(1u, std::thread::hardware_concurrency()), 1, 256)) {}

    ~Pool()
    {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            stop_ = true;
        }
        wake_.notify_all();
        for (std::thread& t : workers_) t.join();
    }

    Pool(const Pool&) = delete;
    Pool& operator=(const Pool&) = delete;

    void run(Job& job)
    {
        std::lock_guard<std::mutex> serial(launch_mutex_);
        unsigned long long spare = job.blocks - 1;
        unsigned helpers = size_ - 1 < spare ? size_ - 1 : (unsigned)spare;
        if (helpers != 0) {
            std::lock_guard<std::mutex> lock(mutex_);
            while (workers_.size() < helpers) {
                executors_.push_back(std::make_unique<Executor>());
                workers_.emplace_back(&Pool::work, this, (unsigned)workers_.size(), generation_);
            }
            job_ = &job;
            helpers_ = helpers;
            pending_ = helpers;
            ++generation_;
        }
        if (helpers != 0) wake_.notify_all();
        run_blocks(job, caller_);
        if (helpers != 0) {
            std::unique_lock<std::mutex> lock(mutex_);
            done_.wait(lock, [this] { return pending_ == 0; });
            job_ = nullptr;
        }
    }

private:
    void work(unsigned index, unsigned long long seen)
    {
        for (;;) {
            Job* job;
            {
                std::unique_lock<std::mutex> lock(mutex_);
                wake_.wait(lock, [&] { return stop_ || generation_ != seen; });
                if (stop_) return;
                seen = generation_;
                if (index >= helpers_) continue;
                job = job_;
            }
            run_blocks(*job, *executors_[index]);
            std::lock_guard<std::mutex> lock(mutex_);
            if (--pending_ == 0) done_.notify_one();
        }
    }

    const unsigned size_;
    std::mutex launch_mutex_, mutex_;
    std::condition_variable wake_, done_;
    std::vector<std::thread> workers_;
    std::vector<std::unique_ptr<Executor>> executors_;
    Executor caller_;
    Job* job_ = nullptr;
    unsigned helpers_ = 0, pending_ = 0;
    unsigned long long generation_ = 0;
    bool stop_ = false;
};

Pool& pool()
{
    static Pool instance;
    return instance;
}

const char* op_name(WarpOp op)
{
    switch (op) {
    case WarpOp::Idx: return "__shfl_sync";
    case WarpOp::Xor: return "__shfl_xor_sync";
    case WarpOp::Down: return "__shfl_down_sync";
    case WarpOp::Up: return "__shfl_up_sync";
    case WarpOp::Ballot: return "__ballot_sync";
    case WarpOp::Any: return "__any_sync";
    case WarpOp::All: return "__all_sync";
    case WarpOp::Sync: return "__syncwarp";
    }
    return "warp operation";
}

} // namespace

unsigned int warp_collective(WarpOp op, unsigned int mask, unsigned int value, unsigned int arg)
{
    Executor& ex = *t_exec;
    EmuThread& t = self(ex);
    Warp& w = ex.warps_[t.warp];
    const unsigned bit = 1u << t.lane;
    if ((mask & bit) == 0 || (mask & w.live) != w.live) {
        char text[256];
        std::snprintf(text, sizeof text,
            "%s with mask 0x%08x while lanes 0x%08x of warp %u are live: the emulation runs only full-mask warp "
            "operations",
            op_name(op), mask, w.live, t.warp);
        fail(ex, text);
    }
    const unsigned generation = w.generation, slot = generation & 1;
    w.values[slot][t.lane] = value;
    w.written[slot] |= bit;
    w.arrived |= bit;
    ex.progress_ = true;
    if (w.arrived == w.live) {
        complete_warp(w);
    } else {
        do yield(ex);
        while (w.generation == generation);
    }
    const unsigned written = w.written[slot], lane = t.lane;
    const unsigned* values = w.values[slot];
    auto from = [&](unsigned src) { return src < 32 && ((written >> src) & 1u) != 0 ? values[src] : value; };
    unsigned ballot = 0;
    switch (op) {
    case WarpOp::Idx: return from(arg & 31u);
    case WarpOp::Xor: return from(lane ^ arg);
    case WarpOp::Down: return from(arg >= 32 ? 32 : lane + arg);
    case WarpOp::Up: return from(arg > lane ? 32 : lane - arg);
    case WarpOp::Ballot:
    case WarpOp::Any:
    case WarpOp::All:
        for (unsigned l = 0; l < 32; ++l)
            if (((written >> l) & 1u) != 0 && values[l] != 0) ballot |= 1u << l;
        return op == WarpOp::Ballot ? ballot : op == WarpOp::Any ? (ballot != 0) : (ballot == written);
    case WarpOp::Sync: return 0;
    }
    return 0;
}

void syncthreads()
{
    Executor& ex = *t_exec;
    ex.progress_ = true;
    const unsigned generation = ex.barrier_generation_;
    if (++ex.barrier_arrived_ == ex.live_) {
        complete_barrier(ex);
        return;
    }
    do yield(ex);
    while (ex.barrier_generation_ == generation);
}

void* dynamic_shared() { return t_exec->dynamic_; }

void trap(const char* what, const char* file, int line)
{
    if (t_exec == nullptr) std::abort();
    char text[512];
    std::snprintf(text, sizeof text, "%s at %s:%d", what, file, line);
    fail(*t_exec, text);
}

int launch(void (*invoke)(const void*), const void* ctx, unsigned int gx, unsigned int gy, unsigned int gz,
    unsigned int bx, unsigned int by, unsigned int bz, int dynamic_shared_bytes)
{
    unsigned long long threads = (unsigned long long)bx * by * bz;
    if (gx == 0 || gy == 0 || gz == 0 || threads == 0 || threads > kMaxBlockThreads || dynamic_shared_bytes < 0) {
        std::snprintf(t_last_error, sizeof t_last_error,
            "invalid launch: grid (%u, %u, %u), block (%u, %u, %u), %d bytes of dynamic shared memory", gx, gy, gz, bx,
            by, bz, dynamic_shared_bytes);
        return -1;
    }
    Job job;
    job.invoke = invoke;
    job.ctx = ctx;
    job.grid = Index3{gx, gy, gz};
    job.block = Index3{bx, by, bz};
    job.dynamic_bytes = (std::size_t)dynamic_shared_bytes;
    job.blocks = (unsigned long long)gx * gy * gz;
    pool().run(job);
    if (!job.failed.load()) return 0;
    std::snprintf(t_last_error, sizeof t_last_error, "%s", job.failure.c_str());
    return -1;
}

} // namespace gkd_emu

extern "C" __attribute__((visibility("default"))) const char* gkd_emu_last_error() { return gkd_emu::t_last_error; }
