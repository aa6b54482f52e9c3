package dev.dllm.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class FamilyRegistryTest {

  @Test
  void testScopeServiceFileRegistersAFamily() {
    FamilyRegistry registry = FamilyRegistry.load();
    assertTrue(registry.names().contains("test-only"), registry.names().toString());
    assertInstanceOf(TestOnlyFamily.class, registry.get("test-only"));
    assertEquals(
        "registered by a test-scope service file", registry.get("test-only").description());
  }

  @Test
  void unknownNameListsRegisteredNames() {
    FamilyRegistry registry = FamilyRegistry.load();
    InvalidInputException e =
        assertThrows(InvalidInputException.class, () -> registry.get("no-such-family"));
    assertTrue(e.getMessage().contains("no-such-family"), e.getMessage());
    for (String name : registry.names()) {
      assertTrue(e.getMessage().contains(name), e.getMessage());
    }
    assertTrue(e.getMessage().contains("test-only"), e.getMessage());
  }
}
