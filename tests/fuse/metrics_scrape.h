// Scraping a daemon's Prometheus endpoint from a test: one HTTP/1.0 GET over a socket, and the
// value of one series in the text.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <regex>
#include <sstream>
#include <string>

namespace weft::test {

// The body of GET http://127.0.0.1:PORT/metrics; "" if there is no answer or it is not a 200.
inline std::string ScrapeMetrics(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return "";
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string response;
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
    std::string request = "GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    if (write(fd, request.data(), request.size()) == static_cast<ssize_t>(request.size())) {
      char buf[65536];
      ssize_t n;
      while ((n = read(fd, buf, sizeof buf)) > 0) response.append(buf, static_cast<size_t>(n));
    }
  }
  close(fd);
  size_t body = response.find("\r\n\r\n");
  if (body == std::string::npos || response.find(" 200 ") > response.find("\r\n")) return "";
  return response.substr(body + 4);
}

// The value of `series` (a name with its labels as rendered: weft_x{op="read"}), or -1 if the
// text has no such series.
inline double SampleValue(const std::string& text, const std::string& series) {
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.size() > series.size() && line.compare(0, series.size(), series) == 0 &&
        line[series.size()] == ' ') {
      return std::stod(line.substr(series.size() + 1));
    }
  }
  return -1;
}

// The port of the "metrics at http://ADDRESS:PORT/metrics" line a daemon logs; 0 if none.
inline uint16_t LoggedMetricsPort(const std::string& log) {
  std::smatch m;
  if (!std::regex_search(log, m, std::regex("metrics at http://[^:]+:([0-9]+)/metrics"))) return 0;
  return static_cast<uint16_t>(std::stoi(m[1].str()));
}

}  // namespace weft::test
