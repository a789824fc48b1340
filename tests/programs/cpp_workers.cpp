// cpp_workers: C++ threads waiting in std::condition_variable and
// std::mutex inside class methods and a namespace, so that dumps show
// demangled names.  Prints "ready" when all are parked.
#include <pthread.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <thread>
#include <vector>

namespace shop {

class Queue {
public:
    __attribute__((noinline)) int take()
    {
        std::unique_lock<std::mutex> lock(mu_);
        waiting_++;
        cv_.wait(lock, [this] { return ready_; });  // LINE:cpp_wait
        return 1;
    }
    int waiting()
    {
        std::lock_guard<std::mutex> lock(mu_);
        return waiting_;
    }

private:
    std::mutex mu_;
    std::condition_variable cv_;
    bool ready_ = false;
    int waiting_ = 0;
};

struct Worker {
    Queue *queue;
    __attribute__((noinline)) void run() { queue->take(); }
};

}  // namespace shop

int main()
{
    alarm(120);  // never outlive a test that forgot us
    shop::Queue q;
    std::vector<std::thread> threads;
    for (int i = 0; i < 3; i++) {
        threads.emplace_back([&q] {  // LINE:cpp_create
            pthread_setname_np(pthread_self(), "cpp-worker");
            shop::Worker w{&q};
            w.run();
        });
    }
    while (q.waiting() < 3)
        usleep(10000);
    usleep(50000);
    std::printf("ready\n");
    std::fflush(stdout);
    for (auto &t : threads)
        t.join();
}
