package io.triggers.bench.floor;

import java.util.Map;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/** A bare WebFlux app: what Spring Boot itself costs per request, the floor the api is compared with. */
@SpringBootApplication
@RestController
public class Floor {

    public static void main(String[] args) {
        SpringApplication.run(Floor.class, args);
    }

    @GetMapping("/hello")
    Mono<Map<String, Object>> hello() {
        return Mono.just(Map.of("status", "ok", "service", "floor"));
    }

    /** Reads a JSON body into a map and answers a small one: the floor for a POST with a body like an event's. */
    @PostMapping("/echo")
    Mono<Map<String, Object>> echo(@RequestBody Mono<Map<String, Object>> body) {
        return body.map(read -> Map.of("accepted", read.size()));
    }
}
