#include "common/blocking_pool.h"

#include <pthread.h>

namespace weft {

BlockingPool::BlockingPool(size_t threads, std::string name) {
  threads_.reserve(threads);
  for (size_t i = 0; i < threads; ++i) {
    std::string thread_name = (name + "-" + std::to_string(i)).substr(0, 15);
    threads_.emplace_back([this, thread_name] {
      pthread_setname_np(pthread_self(), thread_name.c_str());
      Work();
    });
  }
}

BlockingPool::~BlockingPool() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (std::thread& t : threads_) t.join();
}

void BlockingPool::Enqueue(Job* job) {
  {
    std::lock_guard lock(mu_);
    job->next_ = nullptr;
    if (tail_ != nullptr) {
      tail_->next_ = job;
    } else {
      head_ = job;
    }
    tail_ = job;
  }
  cv_.notify_one();
}

// A pool thread: runs jobs until the pool stops and the queue is empty.
void BlockingPool::Work() {
  for (;;) {
    Job* job;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return head_ != nullptr || stopping_; });
      if (head_ == nullptr) return;
      job = head_;
      head_ = job->next_;
      if (head_ == nullptr) tail_ = nullptr;
    }
    job->execute_(job);  // may free the job
  }
}

}  // namespace weft
