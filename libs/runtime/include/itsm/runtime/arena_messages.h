// A unary callback RPC's request and response on one protobuf arena that lives as long as the
// call. For an RPC whose answer is large, it is then built with bump allocations and freed all at
// once, rather than message by message and string by string: an impact analysis of 1,000 CIs with
// their paths is some 20,000 strings, whose mallocs and frees took most of its time.
//
// The handler must build into the response it is given (or into messages on the same arena):
// assigning a message from the heap to it is a deep copy.
//
//   ArenaMessages<v1::AnalyzeImpactRequest, v1::AnalyzeImpactResponse> impact_messages_;
//   SetMessageAllocatorFor_AnalyzeImpact(&impact_messages_);  // in the service's constructor
#ifndef ITSM_RUNTIME_ARENA_MESSAGES_H_
#define ITSM_RUNTIME_ARENA_MESSAGES_H_

#include <google/protobuf/arena.h>
#include <grpcpp/support/message_allocator.h>

namespace itsm::runtime {

template <typename Request, typename Response>
class ArenaMessages final : public grpc::MessageAllocator<Request, Response> {
 public:
  grpc::MessageHolder<Request, Response>* AllocateMessages() override { return new Call(); }

 private:
  class Call final : public grpc::MessageHolder<Request, Response> {
   public:
    Call() {
      this->set_request(google::protobuf::Arena::CreateMessage<Request>(&arena_));
      this->set_response(google::protobuf::Arena::CreateMessage<Response>(&arena_));
    }
    void Release() override { delete this; }

   private:
    google::protobuf::Arena arena_;
  };
};

}  // namespace itsm::runtime

#endif  // ITSM_RUNTIME_ARENA_MESSAGES_H_
