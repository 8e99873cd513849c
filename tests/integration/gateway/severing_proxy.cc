#include "tests/integration/gateway/severing_proxy.h"

#include <poll.h>
#include <unistd.h>

#include <cstdint>
#include <set>

namespace shouhu::testing {
namespace {

constexpr uint8_t kComStmtPrepare = 0x16;
constexpr uint8_t kComStmtExecute = 0x17;

bool WriteAll(int fd, const std::string& bytes) {
  return shouhu::testing::WriteAll(fd, bytes.data(), bytes.size());
}

// Takes the next whole packet (4-byte header and payload) off the front of `buffer`, if there is one.
bool NextPacket(std::string& buffer, std::string& packet) {
  if (buffer.size() < 4) return false;
  const size_t length = static_cast<uint8_t>(buffer[0]) | static_cast<uint8_t>(buffer[1]) << 8 |
                        static_cast<uint8_t>(buffer[2]) << 16;
  if (buffer.size() < 4 + length) return false;
  packet = buffer.substr(0, 4 + length);
  buffer.erase(0, 4 + length);
  return true;
}

uint32_t Uint32At(const std::string& packet, size_t at) {
  return static_cast<uint32_t>(static_cast<uint8_t>(packet[at])) |
         static_cast<uint32_t>(static_cast<uint8_t>(packet[at + 1])) << 8 |
         static_cast<uint32_t>(static_cast<uint8_t>(packet[at + 2])) << 16 |
         static_cast<uint32_t>(static_cast<uint8_t>(packet[at + 3])) << 24;
}

}  // namespace

std::unique_ptr<SeveringProxy> SeveringProxy::Start(const std::string& host, int port) {
  std::unique_ptr<SeveringProxy> proxy(new SeveringProxy());
  if (!proxy->Listen(host, port)) return nullptr;
  return proxy;
}

// One connection, packet by packet in both directions (the protocol is strictly request, then answer).
void SeveringProxy::Relay(int client, int server) {
  std::string from_client, from_server, packet;
  std::set<uint32_t> audit_statements;  // ids of this connection's prepared audit INSERTs
  bool awaiting_prepare_answer = false;
  bool severing = false;  // the INSERT went to the server; its answer will not go back
  char chunk[16384];
  while (!stopping()) {
    pollfd fds[2] = {{client, POLLIN, 0}, {server, POLLIN, 0}};
    if (poll(fds, 2, 50) <= 0) continue;
    if (fds[0].revents != 0 && !severing) {
      const ssize_t n = read(client, chunk, sizeof chunk);
      if (n <= 0) break;
      from_client.append(chunk, static_cast<size_t>(n));
      while (!severing && NextPacket(from_client, packet)) {
        const uint8_t command = packet.size() > 4 ? static_cast<uint8_t>(packet[4]) : 0;
        if (command == kComStmtPrepare && packet.find("INSERT INTO audit_log") != std::string::npos) {
          awaiting_prepare_answer = true;
        }
        if (command == kComStmtExecute && packet.size() >= 9 &&
            audit_statements.count(Uint32At(packet, 5)) > 0 && armed_.exchange(false)) {
          severing = true;
        }
        if (!WriteAll(server, packet)) break;
      }
    }
    if (fds[1].revents != 0) {
      const ssize_t n = read(server, chunk, sizeof chunk);
      if (n <= 0) break;
      if (severing) {
        // The server has executed the INSERT (in autocommit: committed it) and answered: nobody hears it.
        severed_.fetch_add(1);
        break;
      }
      from_server.append(chunk, static_cast<size_t>(n));
      while (NextPacket(from_server, packet)) {
        // COM_STMT_PREPARE_OK: 0x00, then the statement id.
        if (awaiting_prepare_answer && packet.size() >= 9 && packet[4] == 0) {
          audit_statements.insert(Uint32At(packet, 5));
        }
        awaiting_prepare_answer = false;
        if (!WriteAll(client, packet)) break;
      }
    }
  }
  close(client);
  close(server);
}

}  // namespace shouhu::testing
